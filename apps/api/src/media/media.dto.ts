import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBase64, IsIn, Matches, MaxLength } from 'class-validator';

export const MEDIA_TYPES = ['image/png', 'image/jpeg'] as const;
/** Base64 of at most 700 KB of image (JSON bodies are limited to 1 MB). */
export const MAX_MEDIA_BASE64 = 960_000;

export class UploadMediaDto {
  @ApiProperty({ enum: MEDIA_TYPES }) @IsIn(MEDIA_TYPES) contentType!: (typeof MEDIA_TYPES)[number];
  @ApiProperty({ description: 'The image, base64 (at most 700 KB of image)' })
  @IsBase64()
  @MaxLength(MAX_MEDIA_BASE64, { message: 'data must be at most 700 KB of image (960,000 base64 characters)' })
  data!: string;
}

export class MediaDto {
  @ApiProperty({ description: 'The data item id: what a verifier reads (Media-Id)' }) mediaId!: string;
  @ApiProperty({ description: 'Its signer, my ao identity: the author a verifier names' }) author!: string;
  @ApiProperty() size!: number;
  @ApiProperty() contentType!: string;
  @ApiProperty({ description: 'The bundle transaction that carried it to the gateway' }) bundleId!: string;
}

export class VerifyMediaDto {
  @ApiProperty({ description: 'The media-verifier process to ask' })
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'verifier must be a 43-character process id' })
  verifier!: string;
}

export class VerificationDto {
  @ApiProperty({ description: 'The Verify-Media message (signed as me)' }) messageId!: string;
  @ApiProperty({ enum: ['original', 'near-duplicate', 'identical', 'low-detail', 'unsupported', 'too-large'] }) verdict!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) reason!: string | null;
  @ApiProperty() mediaId!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) author!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) format!: string | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) width!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) height!: number | null;
  @ApiPropertyOptional({ type: String, nullable: true }) sha256!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'dHash, 16 hex digits (for Find-Similar)' }) dhash!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) nearestId!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) nearestAuthor!: string | null;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'dHash bits' }) nearestDistance!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) blockHeight!: number | null;
  @ApiProperty({ description: 'Every tag of the Verification-Result', type: 'object', additionalProperties: { type: 'string' } }) tags!: Record<string, string>;
}
