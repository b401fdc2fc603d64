import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ENV, type Env } from '@ao/infra';
import { ApiErrors } from '../common/api-docs.js';
import { forbidden } from '../common/platform-error.js';
import { ApiKeyDto, CreatedApiKeyDto, CreateKeyDto, CreateUserDto, LoginDto, LoginResultDto, MeDto, UserDto } from './auth.dto.js';
import { AuthService, SESSION_COOKIE } from './auth.service.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';
import { PlatformGuard } from './platform.guard.js';
import { Allow, Caller, Idempotent, type Principal } from './principal.js';

export const IDEMPOTENCY_HEADER = { name: 'Idempotency-Key', required: false, description: 'Repeat a create safely: the same key and body get the first answer again' };

/** Sign-in, the caller's profile and API keys, and (admins) users. */
@ApiTags('accounts')
@ApiBearerAuth()
@ApiCookieAuth(SESSION_COOKIE)
@UseGuards(PlatformGuard)
@UseInterceptors(IdempotencyInterceptor)
@Controller('api')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    @Inject(ENV) private readonly env: Env,
  ) {}

  @Post('auth/login')
  @HttpCode(200)
  @Allow('public')
  @ApiOperation({ summary: 'Email + password → a browser session: an httpOnly cookie, and the CSRF token to echo on changes' })
  @ApiOkResponse({ type: LoginResultDto })
  @ApiErrors(400, 401, 429)
  async login(@Body() body: LoginDto, @Res({ passthrough: true }) res: Response): Promise<LoginResultDto> {
    const session = await this.auth.login(body.email, body.password);
    res.cookie(SESSION_COOKIE, session.token, { httpOnly: true, sameSite: 'strict', secure: this.env.COOKIE_SECURE, path: '/', expires: session.expiresAt });
    return { user: session.user, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() };
  }

  @Post('auth/logout')
  @HttpCode(204)
  @Allow('user')
  @ApiOperation({ summary: 'Ends the browser session (API keys are revoked with DELETE /api/keys/{id})' })
  @ApiNoContentResponse({ description: 'Logged out' })
  @ApiErrors(401, 403, 429)
  async logout(@Caller() caller: Principal, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.logout(caller);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  @Get('me')
  @Allow('user')
  @ApiOperation({ summary: 'Who I am: role and ao identity' })
  @ApiOkResponse({ type: MeDto })
  @ApiErrors(401, 429)
  me(@Caller() caller: Principal): Promise<MeDto> {
    return this.auth.me(caller);
  }

  @Get('keys')
  @Allow('user')
  @ApiOperation({ summary: 'My API keys (never their secrets)' })
  @ApiOkResponse({ type: ApiKeyDto, isArray: true })
  @ApiErrors(401, 403, 429)
  keys(@Caller() caller: Principal): Promise<ApiKeyDto[]> {
    return this.auth.listKeys(requireUser(caller));
  }

  @Post('keys')
  @Allow('user')
  @Idempotent()
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'A new API key for scripts: its secret is in this answer only' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiErrors(400, 401, 403, 409, 422, 429)
  createKey(@Caller() caller: Principal, @Body() body: CreateKeyDto): Promise<CreatedApiKeyDto> {
    return this.auth.createKey(requireUser(caller), body.name);
  }

  @Delete('keys/:id')
  @HttpCode(204)
  @Allow('user')
  @ApiOperation({ summary: 'Revokes one of my API keys at once' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors(400, 401, 403, 404, 429)
  async revokeKey(@Caller() caller: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.auth.revokeKey(requireUser(caller), id);
  }

  @Get('users')
  @Allow('admin')
  @ApiOperation({ summary: 'Every user (admin)' })
  @ApiOkResponse({ type: UserDto, isArray: true })
  @ApiErrors(401, 403, 429)
  users(): Promise<UserDto[]> {
    return this.auth.listUsers();
  }

  @Post('users')
  @Allow('admin')
  @Idempotent()
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Creates a user (admin): a platform-held ao key, or the wallet address they bring' })
  @ApiCreatedResponse({ type: UserDto })
  @ApiErrors(400, 401, 403, 409, 422, 429)
  createUser(@Body() body: CreateUserDto): Promise<UserDto> {
    return this.auth.createUser(body);
  }
}

/** The user id of a caller; the break-glass token has no keys of its own. */
function requireUser(caller: Principal): string {
  if (!caller.userId) throw forbidden('The ADMIN_TOKEN break-glass has no API keys: create an admin user');
  return caller.userId;
}
