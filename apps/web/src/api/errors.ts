/** An answer of the API that is not a success, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The API could not be reached (network error, or a proxy in front of it answered for it). */
  get unreachable(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 504;
  }

  /** The messages of a validation failure (`details.messages`), one per field rule. */
  get messages(): string[] {
    const messages = (this.details as { messages?: unknown } | undefined)?.messages;
    return Array.isArray(messages) ? messages.map(String) : [];
  }
}

/** An error body as the API sends it: `{error, code, details}`. */
export function toApiError(status: number, body: unknown): ApiError {
  const b = (body ?? {}) as { error?: unknown; code?: unknown; details?: unknown; message?: unknown };
  const message = typeof b.error === 'string' ? b.error : typeof b.message === 'string' ? b.message : `The API answered ${status}`;
  return new ApiError(status, typeof b.code === 'string' ? b.code : `HTTP_${status}`, message, b.details);
}

/** Any thrown value as a sentence for the user. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    const messages = error.messages;
    return messages.length ? `${error.message}: ${messages.join('; ')}` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
