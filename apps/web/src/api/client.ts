import createClient from 'openapi-fetch';
import { adminToken } from '../lib/admin-token';
import { session } from '../lib/session';
import { Connection } from './connection';
import { ApiError, toApiError } from './errors';
import type { paths } from './schema';

const origin = globalThis.location?.origin ?? 'http://localhost';

/** Any HTTP answer from /health (200 or 503) means the API itself is up. */
async function probeHealth(): Promise<boolean> {
  const res = await fetch(`${origin}/health`, { cache: 'no-store' });
  return res.status !== 502 && res.status !== 504;
}

export const connection = new Connection(probeHealth);

/** fetch that reports reachability and adds the admin token. */
async function tracked(request: Request): Promise<Response> {
  const token = adminToken.get();
  if (token && !session.get() && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${token}`);
  const csrf = session.csrf();
  if (csrf && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) request.headers.set('x-csrf-token', csrf);
  let response: Response;
  try {
    response = await fetch(request);
  } catch (error) {
    connection.reportDown((error as Error).message || 'no answer');
    throw new ApiError(0, 'UNREACHABLE', 'The API does not answer', { cause: (error as Error).message });
  }
  if (response.status === 502 || response.status === 504) connection.reportDown(`the API's proxy answered ${response.status}`);
  else connection.reportUp();
  // The session ended (expired, or signed out elsewhere): forget it, so the app asks to sign in again.
  if (response.status === 401 && session.get() && !request.url.endsWith('/api/auth/login')) session.set(null);
  return response;
}

/** The typed client of the API, generated from its OpenAPI document (schema.d.ts). */
export const api = createClient<paths>({ baseUrl: origin, fetch: tracked });

interface Answer {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/**
 * The body of a successful answer, or an ApiError with the API's `{error, code, details}`.
 * `T` names the body for routes whose document has no response schema yet (see views.ts).
 */
export async function body<T>(call: Promise<Answer>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw toApiError(response.status, error);
  return data as T;
}
