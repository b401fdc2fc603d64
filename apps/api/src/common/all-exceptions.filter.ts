import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { AoError, type AoErrorCode } from '@ao/core';
import type { ErrorBody } from './error-body.js';

const STATUS_BY_CODE: Partial<Record<AoErrorCode, number>> = {
  INVALID_ITEM: 400,
  BAD_SIGNATURE: 400,
  UNSUPPORTED_SIGNATURE: 400,
  ITEM_TOO_LARGE: 413,
  INVALID_TAGS: 400,
  INVALID_PROTOCOL: 400,
  INVALID_REQUEST: 400,
  UNKNOWN_PROCESS: 400,
  UNKNOWN_MESSAGE: 404,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  CONFLICT: 409,
  PROCESS_EXISTS: 409,
  UNKNOWN_MODULE_FORMAT: 400,
  MODULE_LOAD_FAILED: 422,
  BROKEN_HASH_CHAIN: 409,
  GATEWAY_UNAVAILABLE: 503,
  BACKPRESSURE: 503,
  RATE_LIMITED: 429,
  // The wall-clock backstop cut a dry-run (or state hash) stuck in one call; the API itself is fine.
  EVALUATION_TIMEOUT: 503,
  // A process stopped for good (a message that ran past the backstop twice; docs/limits.md).
  EVALUATION_STOPPED: 422,
};

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/** An error's answer: status, `{error, code, details}` body and any header it calls for. */
export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

/** Maps every error (domain, HTTP, body parser, unexpected) to `{error, code, details}` with a fitting status. */
export function toErrorResponse(exception: unknown, exposeErrors: boolean): ErrorResponse {
  const { status, body } = toBody(exception, exposeErrors);
  return { status, body, headers: body.code === 'BACKPRESSURE' || body.code === 'RATE_LIMITED' ? { 'Retry-After': '1' } : {} };
}

/** The exception filter of every Nest route; the ingress fast path maps its errors with the same function. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(private readonly exposeErrors = false) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { status, body, headers } = toErrorResponse(exception, this.exposeErrors);
    if (status >= 500) this.logger.error((exception as Error)?.stack ?? String(exception));
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.status(status).json(body);
  }
}

function toBody(exception: unknown, exposeErrors: boolean): { status: number; body: ErrorBody } {
  if (exception instanceof AoError) {
    const status = STATUS_BY_CODE[exception.code] ?? 500;
    return { status, body: { error: exception.message, code: exception.code, details: exception.details } };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const raw = exception.getResponse();
    const payload = typeof raw === 'string' ? { message: raw } : (raw as { message?: unknown; code?: string; details?: unknown });
    const messages = Array.isArray(payload.message) ? payload.message : undefined;
    if (messages) {
      return { status, body: { error: 'Validation failed', code: 'VALIDATION_FAILED', details: { messages } } };
    }
    return {
      status,
      body: {
        error: typeof payload.message === 'string' ? payload.message : exception.message,
        code: payload.code ?? CODE_BY_STATUS[status] ?? `HTTP_${status}`,
        ...(payload.details !== undefined ? { details: payload.details } : {}),
      },
    };
  }
  // Errors raised by express's body parsers carry their own status and type.
  const parserError = exception as { status?: number; type?: string; message?: string; limit?: number };
  if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    const status = parserError.status;
    const code = parserError.type === 'entity.too.large' ? 'PAYLOAD_TOO_LARGE' : (CODE_BY_STATUS[status] ?? 'BAD_REQUEST');
    return {
      status,
      body: {
        error: parserError.type === 'entity.too.large' ? `Request body larger than the limit of ${parserError.limit} bytes` : (parserError.message ?? 'Bad request'),
        code,
      },
    };
  }
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: {
      error: 'Internal server error',
      code: 'INTERNAL',
      ...(exposeErrors ? { details: { message: (exception as Error)?.message } } : {}),
    },
  };
}
