import { z } from 'zod';
import type { ResultSource, ServedResult } from '@ao/core';

/** A CU that cannot be read: unreachable, refusing, or answering something else than results. */
export class CuReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CuReadError';
  }
}

const ResultsPage = z.object({
  pageInfo: z.object({ hasNextPage: z.boolean() }),
  edges: z.array(z.object({ cursor: z.string().regex(/^\d+$/), node: z.unknown() })),
});
const State = z.object({ nonce: z.number().int(), stateHash: z.string() });

/** A Compute Unit's HTTP surface as the verifier compares with it: GET results/{pid} (paged by nonce) and state/{pid}. */
export class HttpResultSource implements ResultSource {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {
    this.base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  }

  async results(processId: string, afterNonce: number | undefined, limit: number): Promise<ServedResult[]> {
    const query = new URLSearchParams({ sort: 'ASC', limit: String(limit), ...(afterNonce !== undefined ? { from: String(afterNonce) } : {}) });
    const page = await this.get(`results/${processId}?${query}`, ResultsPage);
    return page.edges.map((e) => ({ nonce: Number(e.cursor), result: e.node }));
  }

  state(processId: string): Promise<{ nonce: number; stateHash: string }> {
    return this.get(`state/${processId}`, State);
  }

  private async get<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    const url = new URL(path, this.base);
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new CuReadError(`CU ${this.base} unreachable: ${(error as Error).message}`);
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) throw new CuReadError(`CU answered ${response.status} for ${url.pathname}${text ? `: ${text.slice(0, 200)}` : ''}`);
    try {
      return schema.parse(JSON.parse(text));
    } catch {
      throw new CuReadError(`CU answered ${url.pathname} with something that is not its results format`);
    }
  }
}
