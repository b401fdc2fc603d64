import { HttpException, HttpStatus, Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { AoError, type CheckpointReport, type CheckpointRequest, type ResultSource, type ServedResult, type VerifyReport } from '@ao/core';
import { ENV, GatewayError, VerifyLimitError, VerifyRunner, type Env } from '@ao/infra';
import { CuService } from './cu.service.js';

/** What GET /cu/verify answers. */
export interface VerifyAnswer {
  ok: boolean;
  processId: string;
  /** Log entries checked (and evaluated when the log holds), the Process item included. */
  messages: number;
  lastNonce: number;
  stateHash: string | null;
  resultsHash: string | null;
  failure?: { nonce: number; code: string; reason: string };
  /** Results compared with this CU (`compare=true`, when the log itself verified). */
  compared?: number;
  /** With `fromCheckpoint`: the checkpoint started from (on its signer's word), and those passed over and why. */
  checkpoint?: CheckpointReport;
}

/** This CU's committed results and state, as the verifier compares a replay with them. */
class LocalResults implements ResultSource {
  constructor(private readonly cu: CuService) {}

  async results(processId: string, afterNonce: number | undefined, limit: number): Promise<ServedResult[]> {
    try {
      const page = await this.cu.results(processId, { from: afterNonce, sort: 'ASC', limit });
      return page.edges.map((e) => ({ nonce: Number(e.cursor), result: e.node }));
    } catch (error) {
      // A process this CU does not know has no results: the comparison reports it at nonce 0.
      if (error instanceof AoError && error.code === 'NOT_FOUND') return [];
      throw error;
    }
  }

  async state(processId: string): Promise<{ nonce: number; stateHash: string }> {
    const s = await this.cu.state(processId);
    return { nonce: s.nonce, stateHash: s.hash };
  }
}

/**
 * GET /cu/verify: reproduces a process from the gateway alone (ao-core's verifyProcess with a
 * fresh evaluator; nothing read from this platform's database unless asked to compare), bounded
 * by VERIFY_MAX_MESSAGES and VERIFY_TIMEOUT_MS, each on a thread of its own (VerifyRunner) so the
 * API keeps answering, at most VERIFY_MAX_CONCURRENT at once and VERIFY_MAX_PER_CLIENT per client.
 */
@Injectable()
export class VerifyService implements OnApplicationShutdown {
  private readonly runner: VerifyRunner;

  constructor(
    @Inject(ENV) env: Env,
    private readonly cu: CuService,
  ) {
    this.runner = new VerifyRunner(env, { maxConcurrent: env.VERIFY_MAX_CONCURRENT, maxPerClient: env.VERIFY_MAX_PER_CLIENT, backstopMs: env.CU_WALL_TIMEOUT_MS });
  }

  /** Verifications running now. */
  get running(): number {
    return this.runner.running;
  }

  /** `fromCheckpoint`: resume from the newest Checkpoint item the process's Scheduler signed (at or below a nonce); absent: genesis. */
  async verify(processId: string, compare: boolean, fromCheckpoint?: CheckpointRequest, client = 'local'): Promise<VerifyAnswer> {
    let report: VerifyReport;
    try {
      report = await this.runner.run({ processId, compare, ...(fromCheckpoint !== undefined ? { fromCheckpoint } : {}) }, client, compare ? new LocalResults(this.cu) : undefined);
    } catch (error) {
      throw translate(error, processId);
    }
    return {
      ok: report.ok,
      processId,
      messages: report.messages,
      lastNonce: report.lastNonce,
      stateHash: report.stateHash ?? null,
      resultsHash: report.resultsHash ?? null,
      ...(report.failure ? { failure: { nonce: report.failure.nonce, code: report.failure.code, reason: report.failure.reason } } : {}),
      ...(report.cuCompared !== undefined ? { compared: report.cuCompared } : {}),
      ...(report.checkpoint ? { checkpoint: report.checkpoint } : {}),
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.close();
  }
}

/** Bounds and gateway failures as the API's error bodies; domain errors (404, 400) pass through. */
function translate(error: unknown, processId: string): unknown {
  if (error instanceof VerifyLimitError) {
    const tooLong = error.limit === 'messages';
    return new HttpException(
      { message: `${error.message}; verify it with npm run verify`, code: tooLong ? 'VERIFY_LOG_TOO_LONG' : 'VERIFY_TIMEOUT', details: { processId, ...error.details } },
      tooLong ? HttpStatus.PAYLOAD_TOO_LARGE : HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
  if (error instanceof GatewayError) return new AoError('GATEWAY_UNAVAILABLE', error.message, { processId });
  return error;
}
