import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AoError } from '@ao/core';
import { Inject } from '@nestjs/common';
import { WALLETS, type PlatformWallets } from '@ao/infra';
import { CuService } from './cu.service.js';
import { DryRunDto, ProcessIdQueryDto, ResultsQueryDto } from './cu.dto.js';

const ID = /^[A-Za-z0-9_-]{43}$/;
const requireId = (value: string, what: string) => {
  if (!ID.test(value)) throw new AoError('INVALID_REQUEST', `${what} must be a 43-character base64url id`, { [what]: value });
  return value;
};

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
  identity() {
    return { address: this.wallets.signing.address, timestamp: Date.now() };
  }

  @Get('result/:messageId')
  @ApiOperation({ summary: 'The result of a message, waiting for its evaluation; 202 when still busy after RESULT_TIMEOUT_MS' })
  async result(@Param('messageId') messageId: string, @Query() query: ProcessIdQueryDto, @Res({ passthrough: true }) res: Response) {
    const lookup = await this.cu.result(query['process-id'], requireId(messageId, 'message id'));
    if (lookup.status === 'pending') {
      res.status(202).setHeader('Retry-After', '1');
      return { status: 'pending', nonce: lookup.nonce };
    }
    return lookup.result;
  }

  @Get('results/:processId')
  @ApiOperation({ summary: 'Results of a process, paged by cursor: `{pageInfo:{hasNextPage}, edges:[{cursor, node}]}`' })
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
  dryRun(@Query() query: ProcessIdQueryDto, @Body() body: DryRunDto) {
    return this.cu.dryRun(query['process-id'], body);
  }

  @Get('state/:processId')
  @ApiOperation({ summary: 'The SHA-256 of the latest evaluated state, with its nonce' })
  async state(@Param('processId') processId: string) {
    const s = await this.cu.state(requireId(processId, 'process id'));
    return { processId, nonce: s.nonce, stateHash: s.hash, algorithm: 'sha256 of the canonical Lua state (libs/ao-core/lua/README.md)' };
  }
}
