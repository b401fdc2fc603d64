import type { ResultSource, ServedResult, VerifyFailure } from './ports.js';

/** JSON with object keys sorted at every depth (undefined members dropped), so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** The top-level fields on which two results differ. */
function differingFields(a: unknown, b: unknown): string[] {
  const ra = (a && typeof a === 'object' ? a : {}) as Record<string, unknown>;
  const rb = (b && typeof b === 'object' ? b : {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort();
  return keys.filter((k) => canonicalJson(ra[k]) !== canonicalJson(rb[k]));
}

/**
 * Compares a replay with what a CU serves, nonce by nonce as the replay advances, paging the CU's
 * results; the first nonce where they differ (or where one has a result the other has not) fails.
 */
export class CuComparison {
  private buffer: ServedResult[] = [];
  private fetchedTo: number | undefined;
  private exhausted = false;
  compared = 0;

  constructor(
    private readonly source: ResultSource,
    private readonly processId: string,
    private readonly pageSize = 1000,
    /** Compare only results after this nonce (a replay resumed from a checkpoint). */
    after?: number,
  ) {
    this.fetchedTo = after;
  }

  /** Checks the CU's result for `nonce` against the replay's `canonical` JSON of it. */
  async check(nonce: number, result: unknown, canonical: string): Promise<VerifyFailure | undefined> {
    for (;;) {
      while (this.buffer.length && this.buffer[0].nonce < nonce) this.buffer.shift();
      if (this.buffer.length || this.exhausted) break;
      await this.fetch();
    }
    const served = this.buffer[0];
    if (!served || served.nonce !== nonce) {
      return { nonce, code: 'CU_MISMATCH', reason: `the CU has no result for nonce ${nonce}` };
    }
    this.buffer.shift();
    if (canonicalJson(served.result) !== canonical) {
      const fields = differingFields(served.result, result);
      return { nonce, code: 'CU_MISMATCH', reason: `the CU's result differs from the replay (${fields.join(', ') || 'shape'})` };
    }
    this.compared += 1;
    return undefined;
  }

  /** After the last nonce: the CU has nothing beyond the log, and its state hash is the replay's. */
  async finish(lastNonce: number, stateHash: string): Promise<VerifyFailure | undefined> {
    const beyond = this.buffer.find((r) => r.nonce > lastNonce) ?? (await this.source.results(this.processId, lastNonce, 1))[0];
    if (beyond) {
      return { nonce: beyond.nonce, code: 'CU_MISMATCH', reason: `the CU has a result for nonce ${beyond.nonce}, beyond the log on the gateway (last nonce ${lastNonce})` };
    }
    const state = await this.source.state(this.processId);
    if (state.nonce !== lastNonce) {
      return { nonce: Math.min(state.nonce + 1, lastNonce), code: 'CU_MISMATCH', reason: `the CU's state is at nonce ${state.nonce}, the log ends at ${lastNonce}` };
    }
    if (state.stateHash !== stateHash) {
      return { nonce: lastNonce, code: 'CU_MISMATCH', reason: `state hash differs: CU ${state.stateHash}, replay ${stateHash}` };
    }
    return undefined;
  }

  private async fetch(): Promise<void> {
    const page = await this.source.results(this.processId, this.fetchedTo, this.pageSize);
    const last = page[page.length - 1]?.nonce;
    // An empty page, or one that does not move forward, ends the CU's results.
    if (last === undefined || (this.fetchedTo !== undefined && last <= this.fetchedTo)) {
      this.exhausted = true;
      return;
    }
    this.buffer.push(...page);
    this.fetchedTo = last;
  }
}
