import { ForbiddenException, Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { ENV, type Env } from '@ao/infra';

/** Admin routes need `Authorization: Bearer $ADMIN_TOKEN`; with no token configured they stay closed. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(ENV) private readonly env: Env) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.env.ADMIN_TOKEN) throw new ForbiddenException('Admin endpoints are disabled: set ADMIN_TOKEN');
    const header = context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    // Only the Bearer scheme (case-insensitive, RFC 7235): a bare token or another scheme is refused.
    const bearer = /^Bearer +(\S+)$/i.exec(header);
    const given = Buffer.from(bearer?.[1] ?? '');
    const wanted = Buffer.from(this.env.ADMIN_TOKEN);
    if (!bearer || given.length !== wanted.length || !timingSafeEqual(given, wanted)) throw new UnauthorizedException('A valid admin bearer token is required');
    return true;
  }
}
