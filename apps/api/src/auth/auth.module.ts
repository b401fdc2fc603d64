import { Global, Module } from '@nestjs/common';
import { ENV, IdentityVault, type Env } from '@ao/infra';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { IDENTITY_VAULT } from './auth.tokens.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';
import { PlatformGuard } from './platform.guard.js';
import { RateLimiter } from './rate-limiter.js';

/** Accounts, credentials, the platform guard (auth, roles, rate limits) and idempotent POSTs, for every feature module. */
@Global()
@Module({
  controllers: [AuthController],
  providers: [
    { provide: IDENTITY_VAULT, inject: [ENV], useFactory: (env: Env) => new IdentityVault(env.IDENTITY_KEY) },
    AuthService,
    RateLimiter,
    PlatformGuard,
    IdempotencyInterceptor,
  ],
  exports: [IDENTITY_VAULT, AuthService, RateLimiter, PlatformGuard, IdempotencyInterceptor],
})
export class AuthModule {}
