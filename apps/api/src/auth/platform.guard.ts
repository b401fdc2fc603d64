import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { Inject } from '@nestjs/common';
import { ENV, type Env } from '@ao/infra';
import { forbidden, PlatformError, unauthorized } from '../common/platform-error.js';
import { AuthService } from './auth.service.js';
import { ACCESS, type Access, type PlatformRequest, type Principal } from './principal.js';
import { RateLimiter } from './rate-limiter.js';

/**
 * Every /api route: who is calling (API key, session cookie + CSRF, or ADMIN_TOKEN break-glass),
 * rate limits (per client IP and per credential, one Redis round trip), then whether they may (the
 * route's {@link Allow}). 401 without a valid credential, 403 with the wrong role, 429 + Retry-After.
 */
@Injectable()
export class PlatformGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly limiter: RateLimiter,
    @Inject(ENV) private readonly env: Env,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<PlatformRequest>();
    const response = http.getResponse<Response>();
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS, [context.getHandler(), context.getClass()]) ?? 'admin';
    const ip = { subject: `ip:${request.ip ?? request.socket.remoteAddress ?? '?'}`, limit: this.env.RATE_LIMIT_PER_IP };
    const perKey = (p: Principal) => ({ subject: `key:${p.credentialId}`, limit: this.env.RATE_LIMIT_PER_KEY });
    const headers = request.headers as Record<string, string>;
    let principal: Principal | undefined;
    let counted = false;
    // A credential found valid lately skips its lookup when the revocation epoch read with the
    // rate-limit counters (same round trip) is still the one its lookup began under.
    const cached = this.auth.cached(headers, request.method);
    if (cached) {
      const epoch = await this.limit(response, [ip, perKey(cached.principal)]);
      counted = true;
      if (this.auth.credentials.valid(cached, epoch)) principal = cached.principal;
    }
    if (!principal) {
      try {
        principal = await this.auth.authenticate(headers, request.method);
      } catch (error) {
        // A bad credential still counts against the IP (guessing keys is rate limited too).
        if (!counted) await this.limit(response, [ip]);
        throw error;
      }
      if (!counted) await this.limit(response, principal ? [ip, perKey(principal)] : [ip]);
    }
    request.principal = principal;
    if (access === 'public') return true;
    if (!principal) throw unauthorized('UNAUTHORIZED', 'Sign in: send an API key as `Authorization: Bearer <key>` or the session cookie');
    if (access !== 'user' && principal.role !== access) throw forbidden(`This route needs the ${access} role`, { role: principal.role, needs: access });
    return true;
  }

  /** Counts the request (429 past a limit); the revocation epoch read in the same round trip. */
  private async limit(response: Response, counters: { subject: string; limit: number }[]): Promise<string> {
    const { wait, limit, value } = await this.limiter.hit(counters, this.auth.epochKey);
    const epoch = value ?? '0';
    this.auth.credentials.observe(epoch);
    if (wait === 0) return epoch;
    response.setHeader('Retry-After', String(wait));
    throw new PlatformError(429, 'RATE_LIMITED', `Too many requests; retry in ${wait} s`, { limit, windowSeconds: this.env.RATE_LIMIT_WINDOW_S, retryAfter: wait });
  }
}
