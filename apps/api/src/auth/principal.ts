import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Role } from '@ao/infra';

/** Who is calling: a user (by API key or browser session) or the ADMIN_TOKEN break-glass. */
export interface Principal {
  /** NULL for break-glass. */
  userId: string | null;
  /** The user's email, or `break-glass`. */
  label: string;
  role: Role;
  /** The user's ao address (NULL for break-glass). */
  aoAddress: string | null;
  via: 'api-key' | 'session' | 'admin-token';
  /** The API key's or session's id (the rate limit's key). */
  credentialId: string;
}

/** Who may call a route: `public` (anyone), `user` (any signed-in user), or a role. */
export type Access = 'public' | 'user' | Role;
export const ACCESS = 'platform:access';
export const IDEMPOTENT = 'platform:idempotent';

/** Declares who may call a controller or handler (checked by PlatformGuard). */
export const Allow = (access: Access) => SetMetadata(ACCESS, access);
/** Marks a POST that creates something: a repeated Idempotency-Key gets the first answer again. */
export const Idempotent = () => SetMetadata(IDEMPOTENT, true);

export type PlatformRequest = Request & { principal?: Principal };

/** The authenticated caller (the guard guarantees one on non-public routes). */
export const Caller = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<PlatformRequest>().principal;
  if (!principal) throw new Error('Caller used on a public route');
  return principal;
});
