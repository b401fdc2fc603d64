import { randomUUID } from 'node:crypto';
import { AoError } from '@ao/core';
import type { PrismaClient, User } from '../database/prisma.js';
import type { IdentityVault } from './identity-vault.js';
import { hashPassword } from './password.js';

export type Role = 'admin' | 'trader';
export const ROLES: readonly Role[] = ['admin', 'trader'];

/** An ao address: 43 base64url characters (Arweave/Ed25519) or an EIP-55 0x address. */
export const AO_ADDRESS = /^(?:[A-Za-z0-9_-]{43}|0x[0-9a-fA-F]{40})$/;

export interface NewUser {
  email: string;
  password: string;
  role: Role;
  /** A wallet the user brings and signs with: the platform holds no key for them. */
  walletAddress?: string;
}

/** Creates a user with an ao identity (a new platform-held key, or the wallet they bring). 409 when the email or wallet is taken. */
export async function createUser(prisma: PrismaClient, vault: IdentityVault, input: NewUser): Promise<User> {
  const email = input.email.trim().toLowerCase();
  const identity = input.walletAddress ? { address: input.walletAddress, sealed: null } : vault.create();
  if (input.walletAddress && !AO_ADDRESS.test(input.walletAddress)) {
    throw new AoError('INVALID_REQUEST', 'walletAddress must be an ao address (43 base64url characters or 0x + 40 hex digits)', { field: 'walletAddress' });
  }
  const passwordHash = await hashPassword(input.password);
  try {
    return await prisma.user.create({
      data: {
        id: randomUUID(),
        email,
        passwordHash,
        role: input.role,
        aoAddress: identity.address,
        walletMode: identity.sealed ? 'platform' : 'external',
        aoKey: identity.sealed ? new Uint8Array(identity.sealed) : null,
      },
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'P2002') throw new AoError('CONFLICT', 'A user with this email or wallet address exists', { email });
    throw error;
  }
}

/** First start: when no admin exists and an email and password are given, creates that admin. Returns it, or undefined. */
export async function ensureFirstAdmin(prisma: PrismaClient, vault: IdentityVault, email: string, password: string): Promise<User | undefined> {
  if (!email || !password) return undefined;
  if ((await prisma.user.count({ where: { role: 'admin' } })) > 0) return undefined;
  try {
    return await createUser(prisma, vault, { email, password, role: 'admin' });
  } catch (error) {
    // Another API process created it at the same moment.
    if (error instanceof AoError && error.code === 'CONFLICT') return undefined;
    throw error;
  }
}
