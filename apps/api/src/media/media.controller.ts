import { Body, Controller, HttpCode, Param, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IDEMPOTENCY_HEADER } from '../auth/auth.controller.js';
import { IdempotencyInterceptor } from '../auth/idempotency.interceptor.js';
import { PlatformGuard } from '../auth/platform.guard.js';
import { Allow, Caller, Idempotent, type Principal } from '../auth/principal.js';
import { ApiErrors } from '../common/api-docs.js';
import { MediaDto, UploadMediaDto, VerificationDto, VerifyMediaDto } from './media.dto.js';
import { MediaService } from './media.service.js';

/** My images on Arweave and their provenance verdicts. */
@ApiTags('media')
@ApiBearerAuth()
@ApiCookieAuth('ao_session')
@UseGuards(PlatformGuard)
@UseInterceptors(IdempotencyInterceptor)
@Allow('user')
@Controller('api/media')
export class MediaController {
  constructor(private readonly media: MediaService) {}

  @Post()
  @Idempotent()
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Uploads an image as a data item signed by my ao identity (its author), posted to the gateway' })
  @ApiCreatedResponse({ type: MediaDto })
  @ApiErrors(400, 401, 403, 409, 429, 502)
  upload(@Caller() caller: Principal, @Body() body: UploadMediaDto): Promise<MediaDto> {
    return this.media.upload(caller, body);
  }

  @Post(':mediaId/verifications')
  @HttpCode(200)
  @ApiOperation({ summary: 'Asks a media verifier for its verdict on a confirmed image: a Verify-Media message signed as me; 409 MEDIA_PENDING until it is confirmed' })
  @ApiOkResponse({ type: VerificationDto })
  @ApiErrors(400, 401, 403, 404, 409, 422, 429, 502, 504)
  verify(@Caller() caller: Principal, @Param('mediaId') mediaId: string, @Body() body: VerifyMediaDto): Promise<VerificationDto> {
    return this.media.verify(caller, mediaId, body.verifier);
  }
}
