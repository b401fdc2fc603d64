import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { AuthService } from '../auth/auth.service.js';
import type { PlatformRequest } from '../auth/principal.js';
import { forbidden, unauthorized } from './platform-error.js';

/** The unit admin routes outside /api (/mu/failed): an admin's API key or session, or the ADMIN_TOKEN break-glass. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<PlatformRequest>();
    const principal = await this.auth.authenticate(request.headers as Record<string, string>, request.method);
    if (!principal) throw unauthorized('UNAUTHORIZED', 'An admin API key, session or the ADMIN_TOKEN bearer token is required');
    if (principal.role !== 'admin') throw forbidden('This route needs the admin role', { role: principal.role, needs: 'admin' });
    request.principal = principal;
    return true;
  }
}
