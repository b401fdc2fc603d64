import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { createHash } from 'node:crypto';
import type { Response } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { PRISMA, type Prisma, type PrismaClient } from '@ao/infra';
import { PlatformError } from '../common/platform-error.js';
import { IDEMPOTENT, type PlatformRequest } from './principal.js';

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on POSTs that create things: the first request's answer is kept per caller and
 * key; a retry with the same key and body gets it again without running the handler; the same key
 * with another body is 422; a retry while the first still runs is 409. Failed requests keep nothing.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<PlatformRequest>();
    const key = request.headers['idempotency-key'];
    if (key === undefined || !this.reflector.get<boolean>(IDEMPOTENT, context.getHandler())) return next.handle();
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new PlatformError(400, 'VALIDATION_FAILED', 'Idempotency-Key must be 1 to 255 printable ASCII characters', { header: 'Idempotency-Key' });
    }
    const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? 201;
    const response = context.switchToHttp().getResponse<Response>();
    return from(this.run(request, response, key, status, () => lastValueFrom(next.handle())));
  }

  private async run(request: PlatformRequest, response: Response, key: string, status: number, handle: () => Promise<unknown>): Promise<unknown> {
    const scope = request.principal?.userId ?? request.principal?.label ?? `ip:${request.ip}`;
    const path = request.originalUrl.split('?')[0];
    const requestHash = createHash('sha256').update(`${request.method} ${path}\n${JSON.stringify(request.body ?? null)}`).digest('hex');
    const inserted = await this.prisma.idempotencyKey.createMany({ data: [{ scope, key, method: request.method, path, requestHash }], skipDuplicates: true });
    if (inserted.count === 0) {
      const first = await this.prisma.idempotencyKey.findUnique({ where: { scope_key: { scope, key } } });
      if (!first) throw new PlatformError(409, 'IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry shortly');
      if (first.requestHash !== requestHash) {
        throw new PlatformError(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another request', { method: first.method, path: first.path });
      }
      if (first.status === null) throw new PlatformError(409, 'IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry shortly');
      response.setHeader('Idempotent-Replayed', 'true');
      return first.body;
    }
    try {
      const body = await handle();
      await this.prisma.idempotencyKey.update({ where: { scope_key: { scope, key } }, data: { status, body: (body ?? null) as Prisma.InputJsonValue } });
      return body;
    } catch (error) {
      await this.prisma.idempotencyKey.delete({ where: { scope_key: { scope, key } } }).catch(() => undefined);
      throw error;
    }
  }
}
