import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DUMMY_PASSWORD_HASH, ENV, PRISMA, REDIS, createUser, ensureFirstAdmin, verifyPassword, type Env, type NewUser, type PrismaClient, type Role, type User } from '@ao/infra';
import { forbidden, notFound, unauthorized } from '../common/platform-error.js';
import { IDENTITY_VAULT } from './auth.tokens.js';
import type { IdentityVault } from '@ao/infra';
import type { Principal } from './principal.js';
import { CredentialCache, type CachedCredential } from './credential-cache.js';

export const SESSION_COOKIE = 'ao_session';
const API_KEY_PREFIX = 'aok_';
/** last_used_at is written at most this often per key, so reads do not each cost a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** The user as the API shows them (never the password hash or key). */
export function userView(user: User) {
  return { id: user.id, email: user.email, role: user.role as Role, aoAddress: user.aoAddress, walletMode: user.walletMode as 'platform' | 'external', createdAt: user.createdAt.toISOString() };
}

/** Accounts, credentials and sessions: who a request comes from. */
@Injectable()
export class AuthService implements OnModuleInit {
  private readonly logger = new Logger('auth');
  /** API keys and sessions found valid lately (AUTH_CACHE_MS), revocation-safe: see CredentialCache. */
  readonly credentials: CredentialCache;

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(IDENTITY_VAULT) private readonly vault: IdentityVault,
    @Inject(REDIS) private readonly redis: Redis,
  ) {
    this.credentials = new CredentialCache(env.AUTH_CACHE_MS);
  }

  /** The Redis key of the revocation epoch (read with every request's rate-limit counters). */
  get epochKey(): string {
    return `${this.env.REDIS_PREFIX}:auth:epoch`;
  }

  /** After a credential is revoked in Postgres: every API process stops trusting its cached credentials. */
  private async revoked(): Promise<void> {
    await this.redis.incr(this.epochKey);
  }

  /** First start: the admin named by ADMIN_EMAIL/ADMIN_PASSWORD, when no admin exists yet. */
  async onModuleInit(): Promise<void> {
    const created = await ensureFirstAdmin(this.prisma, this.vault, this.env.ADMIN_EMAIL, this.env.ADMIN_PASSWORD);
    if (created) this.logger.log(`created the first admin ${created.email} from ADMIN_EMAIL`);
  }

  async createUser(input: NewUser) {
    return userView(await createUser(this.prisma, this.vault, input));
  }

  async listUsers() {
    return (await this.prisma.user.findMany({ orderBy: { createdAt: 'asc' }, take: 1000 })).map(userView);
  }

  async me(principal: Principal) {
    if (!principal.userId) return { id: null, email: 'break-glass', role: 'admin' as const, aoAddress: null, walletMode: null, createdAt: null };
    return userView(await this.prisma.user.findUniqueOrThrow({ where: { id: principal.userId } }));
  }

  /** Email + password → a session (cookie token and CSRF token). Same answer and cost for an unknown email and a wrong password. */
  async login(email: string, password: string): Promise<{ token: string; csrfToken: string; expiresAt: Date; user: ReturnType<typeof userView> }> {
    const user = await this.prisma.user.findUnique({ where: { email: email.trim().toLowerCase() } });
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!user || !ok) throw unauthorized('BAD_CREDENTIALS', 'Wrong email or password');
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.now() + this.env.SESSION_TTL_HOURS * 3_600_000);
    await this.prisma.session.create({ data: { id: randomUUID(), userId: user.id, tokenHash: sha256(token), csrfToken, expiresAt } });
    return { token, csrfToken, expiresAt, user: userView(user) };
  }

  async logout(principal: Principal): Promise<void> {
    if (principal.via === 'session') {
      await this.prisma.session.deleteMany({ where: { id: principal.credentialId } });
      await this.revoked();
    }
  }

  /** A new API key for the user: the secret is in this answer only. */
  async createKey(userId: string, name: string) {
    const secret = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const key = await this.prisma.apiKey.create({ data: { id: randomUUID(), userId, name, prefix: secret.slice(0, 12), secretHash: sha256(secret) } });
    return { ...keyView(key), secret };
  }

  async listKeys(userId: string) {
    return (await this.prisma.apiKey.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } })).map(keyView);
  }

  /** Revokes one of the user's keys; another user's key is reported as not found. */
  async revokeKey(userId: string, id: string): Promise<void> {
    const { count } = await this.prisma.apiKey.updateMany({ where: { id, userId, revokedAt: null }, data: { revokedAt: new Date() } });
    if (count === 0 && !(await this.prisma.apiKey.findFirst({ where: { id, userId } }))) throw notFound('API key', id);
    await this.revoked();
  }

  /**
   * A request's credential when it was found valid lately (no lookup; the caller must still check
   * it against the epoch it reads). Applies the session's CSRF rule like a lookup does.
   */
  cached(headers: { authorization?: string; cookie?: string; 'x-csrf-token'?: string | string[] }, method: string): CachedCredential | undefined {
    const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]?.trim();
    const secret = bearer ?? readCookie(headers.cookie, SESSION_COOKIE);
    if (!secret || (bearer !== undefined && !bearer.startsWith(API_KEY_PREFIX))) return undefined;
    const entry = this.credentials.get(sha256(secret));
    if (entry?.csrfToken !== undefined) checkCsrf(headers, method, entry.csrfToken);
    return entry;
  }

  /**
   * The principal of a request: `Authorization: Bearer <API key | ADMIN_TOKEN>` or the session
   * cookie (whose unsafe requests must echo the CSRF token in `X-CSRF-Token`). Undefined when it
   * carries no credential; a 401 when it carries a bad one.
   */
  async authenticate(headers: { authorization?: string; cookie?: string; 'x-csrf-token'?: string | string[] }, method: string): Promise<Principal | undefined> {
    const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]?.trim();
    if (bearer) return this.byBearer(bearer);
    const token = readCookie(headers.cookie, SESSION_COOKIE);
    if (!token) return undefined;
    const epoch = this.credentials.currentEpoch;
    const hash = sha256(token);
    const session = await this.prisma.session.findUnique({ where: { tokenHash: hash }, include: { user: true } });
    if (!session || session.expiresAt.getTime() <= Date.now()) throw unauthorized('SESSION_EXPIRED', 'The session has expired or was logged out; log in again');
    checkCsrf(headers, method, session.csrfToken);
    const principal: Principal = { userId: session.user.id, label: session.user.email, role: session.user.role as Role, aoAddress: session.user.aoAddress, via: 'session', credentialId: session.id };
    this.credentials.set(hash, { principal, csrfToken: session.csrfToken }, epoch, session.expiresAt.getTime());
    return principal;
  }

  private async byBearer(bearer: string): Promise<Principal> {
    if (this.env.ADMIN_TOKEN && safeEqual(bearer, this.env.ADMIN_TOKEN)) {
      return { userId: null, label: 'break-glass', role: 'admin', aoAddress: null, via: 'admin-token', credentialId: 'break-glass' };
    }
    if (!bearer.startsWith(API_KEY_PREFIX)) throw unauthorized('UNAUTHORIZED', 'Unknown bearer token');
    const epoch = this.credentials.currentEpoch;
    const hash = sha256(bearer);
    const key = await this.prisma.apiKey.findUnique({ where: { secretHash: hash }, include: { user: true } });
    if (!key) throw unauthorized('UNAUTHORIZED', 'Unknown API key');
    if (key.revokedAt) throw unauthorized('KEY_REVOKED', 'This API key was revoked');
    const now = Date.now();
    if (!key.lastUsedAt || now - key.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.prisma.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date(now) } });
    }
    const principal: Principal = { userId: key.user.id, label: key.user.email, role: key.user.role as Role, aoAddress: key.user.aoAddress, via: 'api-key', credentialId: key.id };
    this.credentials.set(hash, { principal }, epoch);
    return principal;
  }
}

/** Unsafe requests made with the session cookie must echo its CSRF token (403 otherwise). */
function checkCsrf(headers: { 'x-csrf-token'?: string | string[] }, method: string, csrfToken: string): void {
  if (['GET', 'HEAD', 'OPTIONS'].includes(method)) return;
  const given = Buffer.from(String(headers['x-csrf-token'] ?? ''));
  const wanted = Buffer.from(csrfToken);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    throw forbidden('A request with the session cookie must send the X-CSRF-Token header the login answered', { header: 'X-CSRF-Token' });
  }
}

function keyView(key: { id: string; name: string; prefix: string; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null }) {
  return { id: key.id, name: key.name, prefix: key.prefix, createdAt: key.createdAt.toISOString(), lastUsedAt: key.lastUsedAt?.toISOString() ?? null, revokedAt: key.revokedAt?.toISOString() ?? null };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}
