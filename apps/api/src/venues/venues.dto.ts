import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';

const AMOUNT = /^[1-9][0-9]{0,77}$/;
const AMOUNT_MESSAGE = (what: string) => `${what} must be a positive whole number of atomic units, without sign or decimals`;

export class PlaceOrderDto {
  @ApiProperty({ enum: ['buy', 'sell'] }) @IsIn(['buy', 'sell']) side!: 'buy' | 'sell';
  @ApiProperty({ description: 'Quote atomic units per whole base token; a multiple of the venue’s tick size', example: '100000000' })
  @Matches(AMOUNT, { message: AMOUNT_MESSAGE('price') })
  price!: string;
  @ApiProperty({ description: 'Base atomic units; a multiple of the venue’s lot size', example: '1000000' })
  @Matches(AMOUNT, { message: AMOUNT_MESSAGE('quantity') })
  quantity!: string;
  @ApiPropertyOptional({ enum: ['limit', 'post-only', 'ioc'], default: 'limit' }) @IsOptional() @IsIn(['limit', 'post-only', 'ioc']) type?: 'limit' | 'post-only' | 'ioc';
  @ApiPropertyOptional({ description: 'My own id for the order (1–64 characters), unique among my orders at this venue' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  clientOrderId?: string;
}

export class DepositDto {
  @ApiProperty({ enum: ['base', 'quote'], description: 'Which of the venue’s two tokens' }) @IsIn(['base', 'quote']) asset!: 'base' | 'quote';
  @ApiProperty({ description: 'Token atomic units', example: '1000000' }) @Matches(AMOUNT, { message: AMOUNT_MESSAGE('quantity') }) quantity!: string;
}

export class OrderResultDto {
  @ApiProperty({ description: 'The Batch-Orders message (signed as me) that placed it' }) messageId!: string;
  @ApiProperty({ description: 'The order id at the book (the message id and the order’s place in it)' }) orderId!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) clientOrderId!: string | null;
  @ApiProperty({ enum: ['open', 'filled', 'cancelled'] }) status!: 'open' | 'filled' | 'cancelled';
  @ApiProperty({ enum: ['buy', 'sell'] }) side!: 'buy' | 'sell';
  @ApiProperty() price!: string;
  @ApiProperty() quantity!: string;
  @ApiProperty({ description: 'Base atomic units filled at once' }) filled!: string;
  @ApiProperty({ description: 'Base atomic units left resting on the book' }) remaining!: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Why the rest was cancelled (ioc, self-trade)' }) reason!: string | null;
}

export class CancelResultDto {
  @ApiProperty({ description: 'The Cancel-Order message (signed as me)' }) messageId!: string;
  @ApiProperty() orderId!: string;
  @ApiProperty({ description: 'Base atomic units that were still open' }) remaining!: string;
}

export class DepositResultDto {
  @ApiProperty({ description: 'The Transfer message (signed as me) on the token' }) messageId!: string;
  @ApiProperty({ description: 'The token process' }) token!: string;
  @ApiProperty() quantity!: string;
}
