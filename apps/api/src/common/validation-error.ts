import type { ValidationError } from 'class-validator';
import { PlatformError } from './platform-error.js';

/** One broken rule of one field: `config.spreadBps` / `isInt`. */
export interface FieldIssue {
  field: string;
  rule: string;
  message: string;
}

/** Flattens class-validator's tree into the fields and rules that failed. */
export function fieldIssues(errors: ValidationError[], parent = ''): FieldIssue[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.entries(e.constraints ?? {}).map(([rule, message]) => ({ field, rule: rule === 'whitelistValidation' ? 'unknown-field' : rule, message }));
    return [...own, ...fieldIssues(e.children ?? [], field)];
  });
}

/** The ValidationPipe's error: 400 VALIDATION_FAILED naming every field and rule (`messages` kept for older clients). */
export function validationError(errors: ValidationError[]): PlatformError {
  const fields = fieldIssues(errors);
  return new PlatformError(400, 'VALIDATION_FAILED', 'Validation failed', { fields, messages: fields.map((f) => f.message) });
}
