import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs.js';
import { CU_CHECKPOINTS, CU_IDENTITY, CU_PENDING, CU_RESULT, CU_RESULTS_PAGE, CU_STATE } from '../common/unit-schemas.js';
import type { Response } from 'express';
import { Inject } from '@nestjs/common';
import { WALLETS, type PlatformWallets } from '@ao/infra';
import { requireId } from '../common/ids.js';
import { CuService, type ResultLookup } from './cu.service.js';
import { DryRunDto, ProcessIdQueryDto, ResultsQueryDto } from './cu.dto.js';


/** How GET /cu/result answers a lookup (also used by the API's fast path for that route). */
export function resultAnswer(lookup: ResultLookup): { status: number; body: unknown; headers?: Record<string, string> } {
  if (lookup.status === 'pending') return { status: 202, body: { status: 'pending', nonce: lookup.nonce }, headers: { 'Retry-After': '1' } };
  return { status: 200, body: lookup.result };
}

/** The Compute Unit's HTTP surface, wire-compatible with the ao reference CU, mounted at /cu. */
@ApiTags('cu')
@Controller('cu')
export class CuController {
  constructor(
    private readonly cu: CuService,
    @Inject(WALLETS) private readonly wallets: PlatformWallets,
  ) {}

  @Get()
  @ApiOperation({ summary: 'CU identity: `{address, timestamp}`' })
  @ApiOkResponse({ schema: CU_IDENTITY })
  identity() {
    return { address: this.wallets.signing.address, timestamp: Date.now() };
  }

  @Get('result/:messageId')
  @ApiOperation({ summary: 'The result of a message, waiting for its evaluation; 202 when still busy after RESULT_TIMEOUT_MS' })
  @ApiOkResponse({ schema: CU_RESULT })
  @ApiResponse({ status: 202, description: 'Not evaluated yet (Retry-After: 1)', schema: CU_PENDING })
  @ApiErrors([400, 'A bad id or process-id'], [404, 'No such process, or the message is not in its log'], [422, 'The process stopped for good (EVALUATION_STOPPED)'], [503, 'Backpressure, an evaluation cut by the backstop, or the gateway unavailable'])
  async result(@Param('messageId') messageId: string, @Query() query: ProcessIdQueryDto, @Res({ passthrough: true }) res: Response) {
    const answer = resultAnswer(await this.cu.result(query['process-id'], requireId(messageId, 'message id')));
    res.status(answer.status);
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    return answer.body;
  }

  @Get('results/:processId')
  @ApiOperation({ summary: 'Results of a process, paged by cursor: `{pageInfo:{hasNextPage}, edges:[{cursor, node}]}`' })
  @ApiOkResponse({ schema: CU_RESULTS_PAGE })
  @ApiErrors([400, 'A bad id or query (field and rule in details)'], [404, 'No such process'])
  results(@Param('processId') processId: string, @Query() q: ResultsQueryDto) {
    return this.cu.results(requireId(processId, 'process id'), {
      from: q.from !== undefined ? Number(q.from) : undefined,
      to: q.to !== undefined ? Number(q.to) : undefined,
      sort: q.sort ?? 'ASC',
      limit: q.limit ?? 25,
    });
  }

  @Post('dry-run')
  @HttpCode(200)
  @ApiOperation({ summary: 'Evaluate an unsigned JSON message against the latest state; never changes state' })
  @ApiOkResponse({ schema: CU_RESULT })
  @ApiErrors([400, 'A bad process-id or body (field and rule in details)'], [404, 'No such process'], [422, 'The process stopped for good (EVALUATION_STOPPED)'], [503, 'The evaluation was cut by the wall-clock backstop (EVALUATION_TIMEOUT), or backpressure'])
  dryRun(@Query() query: ProcessIdQueryDto, @Body() body: DryRunDto) {
    return this.cu.dryRun(query['process-id'], body);
  }

  @Get('state/:processId')
  @ApiOperation({
    summary:
      'The SHA-256 of the latest evaluated state, with its nonce (JSON). With `Accept: application/octet-stream`: the newest checkpoint image ' +
      '(Content-Encoding as stored, e.g. gzip) with X-Nonce, X-State-Hash, X-SHA-256 (of the decoded image), X-Module, X-Timestamp, X-Gateway-Id headers',
  })
  @ApiProduces('application/json', 'application/octet-stream')
  @ApiResponse({ status: 200, description: 'JSON: the state hash; octet-stream: the checkpoint image', content: { 'application/json': { schema: CU_STATE }, 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } })
  @ApiErrors([400, 'The id is not a 43-character base64url id'], [404, 'No such process (or, for the image, no checkpoint yet)'], [422, 'The process stopped for good (EVALUATION_STOPPED)'], [503, 'The evaluation was cut by the wall-clock backstop, or backpressure'])
  async state(@Param('processId') processId: string, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) res: Response) {
    requireId(processId, 'process id');
    if (accept?.includes('application/octet-stream')) {
      const { meta, bytes } = await this.cu.latestCheckpoint(processId);
      res.setHeader('Content-Type', 'application/octet-stream');
      if (meta.contentEncoding !== 'identity') res.setHeader('Content-Encoding', meta.contentEncoding);
      res.setHeader('X-Nonce', String(meta.nonce));
      res.setHeader('X-State-Hash', meta.stateHash);
      res.setHeader('X-SHA-256', meta.sha256);
      res.setHeader('X-Module', meta.moduleId);
      res.setHeader('X-Timestamp', String(meta.timestamp));
      if (meta.gatewayId) res.setHeader('X-Gateway-Id', meta.gatewayId);
      return new StreamableFile(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    const s = await this.cu.state(processId);
    return { processId, nonce: s.nonce, stateHash: s.hash, algorithm: 'sha256 of the canonical Lua state (libs/ao-core/lua/README.md)' };
  }

  @Get('checkpoints/:processId')
  @ApiOperation({ summary: 'Kept checkpoints of a process, newest first: `[{nonce, stateHash, sha256, size, gatewayId, timestamp}]` (gatewayId null until published)' })
  @ApiOkResponse({ schema: CU_CHECKPOINTS })
  @ApiErrors([400, 'The id is not a 43-character base64url id'], [404, 'No such process'])
  async checkpoints(@Param('processId') processId: string) {
    const list = await this.cu.checkpoints(requireId(processId, 'process id'));
    return list.map((c) => ({ nonce: c.nonce, stateHash: c.stateHash, sha256: c.sha256, size: c.size, gatewayId: c.gatewayId ?? null, timestamp: c.timestamp }));
  }
}
