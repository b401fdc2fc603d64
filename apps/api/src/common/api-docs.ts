import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';

/** The one error shape: `{error, code, details}`. */
export class ErrorBodyDto {
  @ApiProperty({ description: 'What went wrong, in words', example: 'Validation failed' })
  error!: string;

  @ApiProperty({ description: 'Stable machine-readable code', example: 'VALIDATION_FAILED' })
  code!: string;

  @ApiPropertyOptional({ description: 'Structured context: the fields and rules for validation failures', type: 'object', additionalProperties: true })
  details?: Record<string, unknown>;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: `details.fields` names each field and the rule it broke (unknown fields are refused)',
  401: 'No valid credential (missing, unknown, revoked key: `KEY_REVOKED`, expired session)',
  403: 'Signed in without the needed role, or a session request without its X-CSRF-Token',
  404: 'No such resource (or not yours)',
  409: 'Conflicts with the current state (illegal lifecycle transition, name taken, request in progress)',
  422: 'An Idempotency-Key reused with another request, or the agent refused the message',
  413: 'The item is larger than MAX_ITEM_BYTES',
  429: 'Rate limit exceeded; `Retry-After` says when to retry',
  502: 'The agent process answered with an error',
  503: 'Backpressure or a dependency unavailable; `Retry-After` when it is backpressure',
  504: 'The agent did not evaluate the message within RESULT_TIMEOUT_MS',
  500: 'A dependency (Postgres, Redis) failed while answering',
};

/**
 * Documents each error status a route answers, all with the `{error, code, details}` body: a status
 * alone takes the platform's description, `[status, description]` says what it means on this route.
 */
export function ApiErrors(...statuses: (number | [number, string])[]) {
  return applyDecorators(
    ...statuses.map((entry) => {
      const [status, description] = typeof entry === 'number' ? [entry, DESCRIPTIONS[entry] ?? 'Error'] : entry;
      return ApiResponse({ status, description, type: ErrorBodyDto });
    }),
  );
}
