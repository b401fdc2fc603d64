import type { EvalResult } from '@ao/core';

/**
 * How a result is kept in the `results.result` jsonb column. Results hold whatever text a process
 * produced, and Postgres cannot store U+0000 (nor an unpaired surrogate) in jsonb or text. A result
 * whose JSON has neither is stored as itself (queryable with jsonb operators); any other is stored
 * as an envelope holding its exact JSON text in base64, which every reader unwraps with
 * `decodeStoredResult`. Either way the result read back equals the one committed.
 */
const ENVELOPE_KEY = '$ao-json-base64';

// JSON.stringify writes U+0000 as \u0000 and a lone surrogate as \udXXX; matching more (an escaped
// backslash before "u0000") only wraps a result that did not need it, which is harmless.
const UNSTORABLE = /\\u0000|\\ud[89a-f]/i;

/** The JSON text to store for a result (see the module doc). */
export function encodeStoredResult(result: EvalResult): string {
  const json = JSON.stringify(result);
  if (!UNSTORABLE.test(json)) return json;
  return JSON.stringify({ [ENVELOPE_KEY]: Buffer.from(json, 'utf8').toString('base64') });
}

/** The result a stored value (as the pg driver parsed it) holds. */
export function decodeStoredResult(stored: unknown): EvalResult {
  if (typeof stored === 'object' && stored !== null && ENVELOPE_KEY in stored) {
    const encoded = (stored as Record<string, unknown>)[ENVELOPE_KEY];
    if (typeof encoded === 'string') return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as EvalResult;
  }
  return stored as EvalResult;
}

/** A text column's copy of a message (the `error` summary): U+0000 becomes U+FFFD, the exact text stays in the result. */
export function storableText(text: string): string;
export function storableText(text: string | null | undefined): string | null;
export function storableText(text: string | null | undefined): string | null {
  if (text === undefined || text === null) return null;
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}
