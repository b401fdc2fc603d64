import { Inject, Injectable } from '@nestjs/common';
import type { ItemSigner } from '@ao/core';
import { PRISMA, type IdentityVault, type PrismaClient } from '@ao/infra';
import { AgentMessenger } from '../agents/agent-messenger.js';
import { IDENTITY_VAULT } from '../auth/auth.tokens.js';
import type { Principal } from '../auth/principal.js';
import { requireId } from '../common/ids.js';
import { forbidden, PlatformError } from '../common/platform-error.js';
import type { CancelResultDto, DepositDto, DepositResultDto, OrderResultDto, PlaceOrderDto } from './venues.dto.js';

/** An order's id at the book: the id of the message that placed it, with `-<n>` for the n-th order of a batch. */
const ORDER_ID = /^[A-Za-z0-9_-]{43}(-[0-9]{1,4})?$/;

interface PlacedRow {
  orderId?: string;
  clientOrderId?: string;
  status?: string;
  side?: string;
  price?: string;
  quantity?: string;
  filled?: string;
  remaining?: string;
  reason?: string;
  error?: string;
}

interface VenueInfo {
  baseToken: string;
  quoteToken: string;
  tickSize: bigint;
  lotSize: bigint;
}

/**
 * A trader at an order-book venue: orders and cancels are messages from the trader's own ao
 * identity (signed with the key the platform holds for them), so the venue's log shows who
 * traded and `npm run verify` re-derives every fill. Deposits are token Transfers to the venue.
 */
@Injectable()
export class VenuesService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(IDENTITY_VAULT) private readonly vault: IdentityVault,
    private readonly messenger: AgentMessenger,
  ) {}

  async place(caller: Principal, processId: string, input: PlaceOrderDto): Promise<OrderResultDto> {
    const venue = await this.venue(processId);
    const fields = [];
    if (BigInt(input.price) % venue.tickSize !== 0n) fields.push({ field: 'price', rule: 'tick-size', message: `price must be a multiple of the tick size ${venue.tickSize}` });
    if (BigInt(input.quantity) % venue.lotSize !== 0n) fields.push({ field: 'quantity', rule: 'lot-size', message: `quantity must be a multiple of the lot size ${venue.lotSize}` });
    if (fields.length) throw new PlatformError(400, 'VALIDATION_FAILED', fields.map((f) => f.message).join('; '), { fields });
    const signer = await this.signerOf(caller);
    // A one-order Batch-Orders (order data as JSON), not Place-Order's tags: a message's `Type` tag is ao's
    // own (`Message`), so an order type sent as a tag would never reach the book.
    const order = { side: input.side, price: input.price, quantity: input.quantity, type: input.type ?? 'limit', ...(input.clientOrderId ? { clientOrderId: input.clientOrderId } : {}) };
    const { messageId, reply } = await this.messenger.ask(processId, [{ name: 'Action', value: 'Batch-Orders' }, { name: 'Content-Type', value: 'application/json' }], ['Batch-Result', 'Batch-Error'], JSON.stringify({ place: [order] }), signer);
    const placed = reply?.tags.Action === 'Batch-Result' ? (JSON.parse(reply.data) as { placed?: PlacedRow[] }).placed?.[0] : undefined;
    if (!placed || placed.error || !placed.orderId) {
      const error = placed?.error ?? reply?.tags.Error ?? 'no answer';
      throw new PlatformError(422, 'ORDER_REFUSED', `The venue refused the order: ${error}`, { messageId, error });
    }
    return {
      messageId,
      orderId: placed.orderId,
      clientOrderId: placed.clientOrderId ?? null,
      status: placed.status as OrderResultDto['status'],
      side: (placed.side ?? input.side) as OrderResultDto['side'],
      price: placed.price ?? input.price,
      quantity: placed.quantity ?? input.quantity,
      filled: placed.filled ?? '0',
      remaining: placed.remaining ?? '0',
      reason: placed.reason ?? null,
    };
  }

  async cancel(caller: Principal, processId: string, orderId: string): Promise<CancelResultDto> {
    if (!ORDER_ID.test(orderId)) throw new PlatformError(400, 'VALIDATION_FAILED', 'orderId must be an order id of the book (a message id, with -<n> for an order of a batch)', { fields: [{ field: 'orderId', rule: 'order-id', message: 'not an order id' }] });
    await this.venue(processId);
    const signer = await this.signerOf(caller);
    const { messageId, reply } = await this.messenger.ask(processId, [{ name: 'Action', value: 'Cancel-Order' }, { name: 'Order-Id', value: orderId }], ['Order-Cancelled', 'Cancel-Error'], '', signer);
    if (reply?.tags.Action !== 'Order-Cancelled') {
      const error = reply?.tags.Error ?? 'no answer';
      if (error === 'not-found') throw new PlatformError(404, 'NOT_FOUND', `No open order ${orderId} of mine at this venue`, { messageId, orderId });
      throw new PlatformError(422, 'CANCEL_REFUSED', `The venue refused the cancel: ${error}`, { messageId, error });
    }
    return { messageId, orderId, remaining: reply.tags.Remaining ?? '0' };
  }

  /** A Transfer of one of the venue's tokens to it: its Credit-Notice credits my balance there. */
  async deposit(caller: Principal, processId: string, input: DepositDto): Promise<DepositResultDto> {
    const venue = await this.venue(processId);
    const signer = await this.signerOf(caller);
    const token = input.asset === 'base' ? venue.baseToken : venue.quoteToken;
    const { messageId, reply } = await this.messenger.ask(
      token,
      [{ name: 'Action', value: 'Transfer' }, { name: 'Recipient', value: processId }, { name: 'Quantity', value: input.quantity }, { name: 'X-Action', value: 'Deposit' }],
      ['Debit-Notice', 'Transfer-Error'],
      '',
      signer,
    );
    if (reply?.tags.Action !== 'Debit-Notice') {
      const error = reply?.tags.Error ?? 'no answer';
      throw new PlatformError(422, 'DEPOSIT_FAILED', `The transfer failed: ${error}`, { messageId, token, error });
    }
    return { messageId, token, quantity: input.quantity };
  }

  /** The venue's market (its Info through a dry-run); 422 when the process is not an order book. */
  private async venue(processId: string): Promise<VenueInfo> {
    requireId(processId, 'processId');
    const info = await this.messenger.query(processId, 'Info');
    const t = info?.tags ?? {};
    if (t.Blueprint !== 'order-book' || !t['Base-Token'] || !t['Quote-Token']) {
      throw new PlatformError(422, 'NOT_A_VENUE', `Process ${processId} is not an order-book venue`, { processId, blueprint: t.Blueprint ?? null });
    }
    return { baseToken: t['Base-Token'], quoteToken: t['Quote-Token'], tickSize: BigInt(t['Tick-Size'] ?? '1'), lotSize: BigInt(t['Lot-Size'] ?? '1') };
  }

  private async signerOf(caller: Principal): Promise<ItemSigner> {
    if (!caller.userId) throw forbidden('The ADMIN_TOKEN break-glass has no ao identity to trade with');
    const user = await this.prisma.user.findUniqueOrThrow({ where: { id: caller.userId } });
    if (!user.aoKey) throw new PlatformError(409, 'EXTERNAL_WALLET', 'This user signs with their own wallet: send orders to the venue directly (aoconnect or any ANS-104 signer)', { aoAddress: user.aoAddress });
    return this.vault.signer(user.aoKey);
  }
}
