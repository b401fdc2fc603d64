import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBase64, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';

export class CreateSubscriptionDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() strategyId!: string;
  @ApiPropertyOptional({ type: String, isArray: true, description: "Some of the strategy's topics; omitted: all of them" })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(32)
  @IsString({ each: true })
  topics?: string[];
  @ApiPropertyOptional({
    description:
      'Users with their own wallet (walletMode external): the Register-Subscriber data item they signed (target = the agent process, tag Topics = JSON array), base64. Users whose key the platform holds leave it out: the platform signs as them.',
  })
  @IsOptional()
  @IsBase64()
  @MaxLength(64 * 1024)
  signedItem?: string;
  @ApiPropertyOptional({
    description:
      "Users with their own wallet, for a priced strategy: the payment they signed, base64: a Transfer to the strategy's token (Recipient = the agent, Quantity ≥ the price, X-Action = Pay-For-Subscription, X-Subscriber = their address or absent). Omitted: the agent must already hold paid access for them (402 PAYMENT_REQUIRED otherwise); below the price: 402 UNDERPAID, nothing sent.",
  })
  @IsOptional()
  @IsBase64()
  @MaxLength(64 * 1024)
  paymentItem?: string;
}

export class SubscriptionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) strategyId!: string;
  @ApiProperty() processId!: string;
  @ApiProperty({ description: 'The ao address subscribed (the user’s identity)' }) subscriber!: string;
  @ApiProperty({ type: String, isArray: true }) topics!: string[];
  @ApiProperty({ description: 'The Register-Subscriber message id' }) messageId!: string;
  @ApiProperty({ enum: ['active', 'cancelled'] }) status!: 'active' | 'cancelled';
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) cancelledAt!: string | null;
  @ApiPropertyOptional({ description: 'The Transfer message that paid for it (priced strategies)' }) paymentMessageId?: string;
}
