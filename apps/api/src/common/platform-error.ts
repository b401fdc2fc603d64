import { HttpException } from '@nestjs/common';

/** An error of the platform API with its status, code and details: answered as `{error, code, details}`. */
export class PlatformError extends HttpException {
  constructor(status: number, readonly code: string, message: string, readonly details?: Record<string, unknown>) {
    super({ message, code, ...(details !== undefined ? { details } : {}) }, status);
  }
}

export const unauthorized = (code: string, message: string) => new PlatformError(401, code, message);
export const forbidden = (message: string, details?: Record<string, unknown>) => new PlatformError(403, 'FORBIDDEN', message, details);
export const notFound = (what: string, id: string) => new PlatformError(404, 'NOT_FOUND', `No ${what} ${id}`, { id });
export const conflict = (code: string, message: string, details?: Record<string, unknown>) => new PlatformError(409, code, message, details);
