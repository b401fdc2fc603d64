import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { AoError, verifyProcess, type CheckpointReport, type CheckpointRequest, type ResultSource, type ServedResult, type VerifyReport } from '@ao/core';
import { BoundedLogReader, ENV, GATEWAY, GatewayError, GatewayLogReader, VerifyLimitError, createEvaluators, gatewayHost, readLimits, type ArweaveGateway, type Env } from '@ao/infra';
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
 * by VERIFY_MAX_MESSAGES and VERIFY_TIMEOUT_MS.
 */
@Injectable()
export class VerifyService {
  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(GATEWAY) private readonly gateway: ArweaveGateway,
    private readonly cu: CuService,
  ) {}

  /** `fromCheckpoint`: resume from the newest Checkpoint item the process's Scheduler signed (at or below a nonce); absent: genesis. */
  async verify(processId: string, compare: boolean, fromCheckpoint?: CheckpointRequest): Promise<VerifyAnswer> {
    const reader = new BoundedLogReader(new GatewayLogReader(this.gateway), { maxMessages: this.env.VERIFY_MAX_MESSAGES, timeoutMs: this.env.VERIFY_TIMEOUT_MS });
    let report: VerifyReport;
    try {
      report = await verifyProcess(processId, {
        reader,
        evaluators: createEvaluators(gatewayHost(this.gateway, readLimits(this.env))),
        limits: {
          defaults: { gas: this.env.CU_GAS_DEFAULT, memoryBytes: this.env.CU_MEMORY_DEFAULT },
          maxima: { gas: this.env.CU_GAS_MAX, memoryBytes: this.env.CU_MEMORY_MAX },
        },
        ...(compare ? { compareWith: new LocalResults(this.cu) } : {}),
        ...(fromCheckpoint !== undefined ? { fromCheckpoint } : {}),
      });
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
