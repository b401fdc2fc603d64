import { Controller, Get, Ip, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs.js';
import { CU_VERIFY } from '../common/unit-schemas.js';
import { requireId } from '../common/ids.js';
import { VerifyQueryDto } from './verify.dto.js';
import { VerifyService } from './verify.service.js';

/** GET /cu/verify/{processId}: the verifier of `npm run verify`, over HTTP. */
@ApiTags('cu')
@Controller('cu')
export class VerifyController {
  constructor(private readonly verifier: VerifyService) {}

  @Get('verify/:processId')
  @ApiOperation({
    summary:
      'Reproduce a process from the gateway alone: every signature, contiguous nonces, the hash chain, each message bound to its assignment, and a fresh replay. ' +
      'Answers `{ok, processId, messages, lastNonce, stateHash, resultsHash, failure?: {nonce, code, reason}, compared?}` (200 either way); ' +
      '404 when the gateway has no such process, 413 past VERIFY_MAX_MESSAGES entries, 503 past VERIFY_TIMEOUT_MS, when the gateway fails or past VERIFY_MAX_CONCURRENT verifications, 429 past VERIFY_MAX_PER_CLIENT. ' +
      "With fromCheckpoint=true|<nonce> it resumes from the newest Checkpoint item signed by the process's Scheduler (at or below the nonce) and verifies only the log after it; " +
      '`checkpoint: {used?: {id, nonce, signer, stateHash}, rejected, untrusted, statement}` says which one, on whose word',
  })
  @ApiOkResponse({ description: 'Verified or not: `ok` says which, `failure` says where and why', schema: CU_VERIFY })
  @ApiErrors(
    [400, 'A bad id or query (field and rule in details)'],
    [404, 'The gateway has no such process'],
    [413, 'The log is longer than VERIFY_MAX_MESSAGES'],
    [429, 'More than VERIFY_MAX_PER_CLIENT verifications from this client at once'],
    [503, 'Past VERIFY_TIMEOUT_MS or VERIFY_MAX_CONCURRENT, or the gateway failed'],
  )
  verify(@Param('processId') processId: string, @Query() query: VerifyQueryDto, @Ip() client: string) {
    const from = query.fromCheckpoint;
    return this.verifier.verify(requireId(processId, 'process id'), query.compare === 'true', from === undefined ? undefined : from === 'true' ? true : Number(from), client);
  }
}
