import { ValidateBy, buildMessage, type ValidationOptions } from 'class-validator';

/**
 * A query parameter holding a decimal integer within [min, Number.MAX_SAFE_INTEGER]: what the stores
 * can compare exactly (Postgres bigint holds more, but the values travel as JS numbers). Larger
 * values (e.g. 99999999999999999999, beyond bigint) are refused with 400 instead of failing in SQL.
 */
export function IsIntegerParam(min = 0, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIntegerParam',
      constraints: [min],
      validator: {
        validate: (value: unknown) => isIntegerText(value, min),
        defaultMessage: buildMessage((prefix) => `${prefix}$property must be an integer from ${min} to ${Number.MAX_SAFE_INTEGER}`, options),
      },
    },
    options,
  );
}

/** True for a decimal integer string (no sign but an optional `-`, no leading zeros) within [min, MAX_SAFE_INTEGER]. */
export function isIntegerText(value: unknown, min = 0): boolean {
  if (typeof value !== 'string' || !/^-?(0|[1-9]\d{0,15})$/.test(value)) return false;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= min;
}
