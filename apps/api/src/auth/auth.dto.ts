import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { AO_ADDRESS, ROLES, type Role } from '@ao/infra';

export class LoginDto {
  @ApiProperty({ example: 'admin@example.com' })
  @IsEmail({}, { message: 'email must be an email address' })
  email!: string;

  @ApiProperty({ minLength: 1, maxLength: 1024 })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password!: string;
}

export class CreateUserDto {
  @ApiProperty({ example: 'trader@example.com' })
  @IsEmail({}, { message: 'email must be an email address' })
  email!: string;

  @ApiProperty({ minLength: 12, maxLength: 1024, description: 'At least 12 characters; stored as an scrypt hash' })
  @IsString()
  @MinLength(12)
  @MaxLength(1024)
  password!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES as Role[])
  role!: Role;

  @ApiPropertyOptional({ description: 'An ao wallet address the user brings and signs with (no key held by the platform)', example: 'x'.repeat(43) })
  @IsOptional()
  @Matches(AO_ADDRESS, { message: 'walletAddress must be an ao address (43 base64url characters or 0x + 40 hex digits)' })
  walletAddress?: string;
}

export class CreateKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 64, example: 'trading script' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  name!: string;
}

export class UserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ description: "The user's ao address: subscriptions and actions are signed as it" }) aoAddress!: string;
  @ApiProperty({ enum: ['platform', 'external'], description: '`platform`: the platform holds the key (encrypted); `external`: the user signs' }) walletMode!: 'platform' | 'external';
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class MeDto {
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'null for the ADMIN_TOKEN break-glass' }) id!: string | null;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ nullable: true, type: String }) aoAddress!: string | null;
  @ApiProperty({ enum: ['platform', 'external'], nullable: true }) walletMode!: 'platform' | 'external' | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) createdAt!: string | null;
}

export class LoginResultDto {
  @ApiProperty({ type: UserDto }) user!: UserDto;
  @ApiProperty({ description: 'Send it as X-CSRF-Token on every POST/PATCH/DELETE made with the session cookie' }) csrfToken!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'First characters of the secret, to tell keys apart' }) prefix!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Resolution: one minute' }) lastUsedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt!: string | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself, shown in this answer only: send it as `Authorization: Bearer <secret>`' }) secret!: string;
}
