import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs.js';
import { SU_IDENTITY, SU_LOG_PAGE, SU_NODE, SU_PROCESS, SU_SCHEDULED, SU_TIMESTAMP } from '../common/unit-schemas.js';
import { AoError, Scheduler, suEdge, suItemJson, suNode, type SchedulerStore } from '@ao/core';
import { GATEWAY, type ArweaveGateway } from '@ao/infra';
import { requireId } from '../common/ids.js';
import { SCHEDULER_STORE } from './su.tokens.js';
import { LogQueryDto, PostQueryDto } from './su.dto.js';


/** The Scheduler Unit's HTTP surface, wire-compatible with the ao reference SU, mounted at /su. */
@ApiTags('su')
@Controller('su')
export class SuController {
  constructor(
    private readonly scheduler: Scheduler,
    @Inject(SCHEDULER_STORE) private readonly store: SchedulerStore,
    @Inject(GATEWAY) private readonly gateway: ArweaveGateway,
  ) {}

  @Get()
  @ApiOperation({ summary: 'SU identity: `{timestamp, address}`' })
  @ApiOkResponse({ schema: SU_IDENTITY })
  identity() {
    return { timestamp: Date.now(), address: this.scheduler.address };
  }

  @Get('timestamp')
  @ApiOperation({ summary: 'Current time and block height: `{timestamp, block_height}`' })
  @ApiOkResponse({ schema: SU_TIMESTAMP })
  @ApiErrors([503, 'The Arweave gateway did not answer (GATEWAY_UNAVAILABLE)'])
  async timestamp() {
    return { timestamp: Date.now(), block_height: await this.gateway.blockHeight() };
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Schedule a signed Process or Message item (raw ANS-104 bytes), or assign an existing message' })
  @ApiConsumes('application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary' }, required: false })
  @ApiOkResponse({ schema: SU_SCHEDULED })
  @ApiErrors(
    [400, 'Not a valid signed item (INVALID_ITEM, BAD_SIGNATURE, INVALID_TAGS, ...), an unknown process, or a bad query'],
    [404, 'The message to assign is not known (UNKNOWN_MESSAGE)'],
    [409, 'Already scheduled (PROCESS_EXISTS, CONFLICT)'],
    413,
    [503, 'Backpressure (Retry-After) or the gateway unavailable'],
  )
  async post(@Body() body: unknown, @Query() query: PostQueryDto) {
    if (query.assign || query['process-id']) {
      if (!query.assign || !query['process-id']) {
        throw new AoError('INVALID_REQUEST', 'An assignment needs both process-id and assign', { query });
      }
      const exclude = query.exclude ? query.exclude.split(',').filter(Boolean) : [];
      const r = await this.scheduler.assign(query['process-id'], query.assign, exclude);
      return { timestamp: r.timestamp, id: r.assignmentId, message: r.id, nonce: r.nonce };
    }
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new AoError('INVALID_ITEM', 'Send the signed data item as the raw body with content-type application/octet-stream');
    }
    const r = await this.scheduler.schedule(body);
    return { timestamp: r.timestamp, id: r.id, nonce: r.nonce, assignment: r.assignmentId };
  }

  @Get('processes/:id')
  @ApiOperation({ summary: 'A process: its Process item, slot-0 assignment, log head and upload backlog' })
  @ApiOkResponse({ schema: SU_PROCESS })
  @ApiErrors([400, 'The id is not a 43-character base64url id'], [404, 'No such process'])
  async process(@Param('id') id: string) {
    requireId(id, 'process id');
    const process = await this.store.getProcess(id);
    if (!process) throw new AoError('NOT_FOUND', `Process ${id} not found`, { processId: id });
    const [slot0, latest, uploads] = await Promise.all([this.store.getSlot(id, id), this.store.latest(id), this.store.uploadStatus(id)]);
    const item = suItemJson(slot0!.message);
    return {
      process_id: id,
      block: String(process.blockHeight),
      owner: item.owner,
      tags: item.tags,
      timestamp: process.timestamp,
      data: item.data,
      data_encoding: item.data_encoding,
      anchor: item.anchor,
      signature: item.signature,
      target: item.target,
      assignment: suItemJson(slot0!.assignment),
      latest: latest ? { nonce: latest.nonce, timestamp: latest.timestamp, hash_chain: latest.hashChain } : null,
      uploads: {
        pending: uploads.pending,
        uploaded: uploads.uploaded,
        confirmed: uploads.confirmed,
        failed: uploads.failed,
        last_confirmed_nonce: uploads.lastConfirmedNonce,
      },
    };
  }

  @Get(':id/latest')
  @ApiOperation({ summary: 'The last entry of a process log: `{message, assignment}`' })
  @ApiOkResponse({ schema: SU_NODE })
  @ApiErrors([400, 'The id is not a 43-character base64url id'], [404, 'No such process'])
  async latest(@Param('id') id: string) {
    requireId(id, 'process id');
    const entry = await this.store.latest(id);
    if (!entry) throw new AoError('NOT_FOUND', `Process ${id} not found`, { processId: id });
    return suNode(entry);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'With process-id: one message `{message, assignment}`; without: the log of process {id}, paged',
  })
  @ApiOkResponse({ description: 'Without process-id: `{page_info, edges}`; with it: one `{message, assignment}`', schema: { oneOf: [SU_LOG_PAGE, SU_NODE] } })
  @ApiErrors([400, 'A bad id or query (field and rule in details)'], [404, 'No such process, or the message is not in its log'])
  async read(@Param('id') id: string, @Query() query: LogQueryDto) {
    requireId(id, 'id');
    const processId = query['process-id'];
    // As the reference SU: a process's own id with process-id reads its log (aoconnect's getLastSlot
    // asks `/{pid}?process-id={pid}&from=…` for the latest page), not its own slot.
    if (processId && processId !== id) {
      const entry = await this.store.getSlot(processId, id);
      if (!entry) throw new AoError('NOT_FOUND', `Message ${id} is not in the log of ${processId}`, { messageId: id, processId });
      return suNode(entry);
    }
    if (!(await this.store.getProcess(id))) throw new AoError('NOT_FOUND', `Process ${id} not found`, { processId: id });
    const byNonce = query['from-nonce'] !== undefined || query['to-nonce'] !== undefined;
    const { entries, hasNextPage } = await this.store.readLog(id, {
      fromNonce: query['from-nonce'] !== undefined ? Number(query['from-nonce']) : undefined,
      toNonce: query['to-nonce'] !== undefined ? Number(query['to-nonce']) : undefined,
      fromTimestamp: query.from !== undefined ? Number(query.from) : undefined,
      toTimestamp: query.to !== undefined ? Number(query.to) : undefined,
      limit: query.limit ?? 100,
    });
    return { page_info: { has_next_page: hasNextPage }, edges: entries.map((e) => suEdge(e, byNonce ? 'nonce' : 'timestamp')) };
  }
}
