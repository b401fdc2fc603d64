import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { getTag, Scheduler, type ItemSigner } from '@ao/core';
import { PRISMA, type IdentityVault, type PrismaClient, type Subscription } from '@ao/infra';
import { AgentMessenger, findReply } from '../agents/agent-messenger.js';
import { parseData } from '../agents/agents.service.js';
import { IDENTITY_VAULT } from '../auth/auth.tokens.js';
import type { Principal } from '../auth/principal.js';
import { forbidden, notFound, PlatformError } from '../common/platform-error.js';
import { FeedHub } from '../feed/feed-hub.js';
import type { CreateSubscriptionDto, SubscriptionDto } from './subscriptions.dto.js';

/**
 * A trader's subscriptions: each is a real Register-Subscriber message from the trader's ao
 * identity to the agent (signed by the platform with the key it holds for them, or by the trader
 * with their own wallet), preceded by a Transfer on the strategy's token when it has a price.
 */
@Injectable()
export class SubscriptionsService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(IDENTITY_VAULT) private readonly vault: IdentityVault,
    private readonly messenger: AgentMessenger,
    private readonly scheduler: Scheduler,
    private readonly hub: FeedHub,
  ) {}

  async subscribe(caller: Principal, input: CreateSubscriptionDto): Promise<SubscriptionDto> {
    const user = await this.userOf(caller);
    const strategy = await this.prisma.strategy.findUnique({ where: { id: input.strategyId }, include: { agent: true } });
    if (!strategy) throw notFound('strategy', input.strategyId);
    if (strategy.agent.status === 'killed') throw new PlatformError(409, 'AGENT_KILLED', 'This strategy’s agent was killed', { strategyId: strategy.id });
    const topics = [...new Set(input.topics ?? strategy.topics)].sort();
    const offered = new Set(strategy.topics);
    const unknown = topics.filter((t) => !offered.has(t));
    if (unknown.length) throw new PlatformError(400, 'VALIDATION_FAILED', `Not a topic of this strategy: ${unknown.join(', ')}`, { fields: unknown.map((t) => ({ field: 'topics', rule: 'strategy-topic', message: `${t} is not offered (${strategy.topics.join(', ')})` })) });
    const pid = strategy.agent.processId;
    const priced = strategy.price && strategy.token ? { price: strategy.price, token: strategy.token } : null;
    let messageId: string;
    let paymentMessageId: string | undefined;
    if (user.aoKey) {
      if (input.signedItem || input.paymentItem) throw new PlatformError(400, 'VALIDATION_FAILED', 'The platform signs for this user: leave signedItem and paymentItem out', { fields: [{ field: input.signedItem ? 'signedItem' : 'paymentItem', rule: 'wallet-mode', message: 'only for users with their own wallet' }] });
      const signer = this.vault.signer(user.aoKey);
      if (priced && !(await this.paidUp(pid, user.aoAddress))) paymentMessageId = await this.pay(signer, priced.token, pid, priced.price);
      const asked = await this.messenger.ask(pid, [{ name: 'Action', value: 'Register-Subscriber' }, { name: 'Topics', value: JSON.stringify(topics) }], ['Register-Subscriber-Confirmation', 'Register-Subscriber-Error'], '', signer);
      if (asked.reply?.tags.Action !== 'Register-Subscriber-Confirmation') {
        throw new PlatformError(422, 'AGENT_REFUSED', `The agent refused the subscription: ${asked.reply?.tags.Error ?? 'no answer'}`, { messageId: asked.messageId, error: asked.reply?.tags.Error ?? null });
      }
      messageId = asked.messageId;
    } else {
      const register = await this.checkSigned(user.aoAddress, pid, input.signedItem, topics);
      if (priced) {
        if (input.paymentItem) paymentMessageId = await this.relayPayment(user.aoAddress, pid, priced, input.paymentItem);
        else if (!(await this.paidUp(pid, user.aoAddress))) {
          throw new PlatformError(402, 'PAYMENT_REQUIRED', `This strategy costs ${priced.price} of token ${priced.token}: send paymentItem, a Transfer you signed to the token (Recipient the agent, X-Action Pay-For-Subscription)`, { price: priced.price, token: priced.token, recipient: pid });
        }
      } else if (input.paymentItem) {
        throw new PlatformError(400, 'VALIDATION_FAILED', 'This strategy is free: leave paymentItem out', { fields: [{ field: 'paymentItem', rule: 'free-strategy', message: 'the strategy has no price' }] });
      }
      messageId = await this.acceptSigned(pid, register);
    }
    const row = await this.prisma.subscription.upsert({
      where: { userId_strategyId: { userId: user.id, strategyId: strategy.id } },
      create: { id: randomUUID(), userId: user.id, strategyId: strategy.id, processId: pid, subscriber: user.aoAddress, topics, messageId, status: 'active' },
      update: { topics, messageId, status: 'active', cancelledAt: null },
    });
    await this.hub.subscriptionsChanged(user.id);
    return { ...view(row), ...(paymentMessageId ? { paymentMessageId } : {}) };
  }

  async list(caller: Principal): Promise<SubscriptionDto[]> {
    if (!caller.userId) return [];
    return (await this.prisma.subscription.findMany({ where: { userId: caller.userId }, orderBy: { createdAt: 'desc' } })).map(view);
  }

  /** Unsubscribes (an Unsubscribe message signed as the user when the platform holds their key); another user's subscription is not found. */
  async cancel(caller: Principal, id: string): Promise<void> {
    const user = await this.userOf(caller);
    const row = /^[0-9a-f-]{36}$/.test(id) ? await this.prisma.subscription.findFirst({ where: { id, userId: user.id } }) : null;
    if (!row) throw notFound('subscription', id);
    if (row.status === 'active' && user.aoKey) {
      await this.messenger.ask(row.processId, [{ name: 'Action', value: 'Unsubscribe' }], ['Unsubscribe-Confirmation'], '', this.vault.signer(user.aoKey));
    }
    await this.prisma.subscription.update({ where: { id }, data: { status: 'cancelled', cancelledAt: row.cancelledAt ?? new Date() } });
    await this.hub.subscriptionsChanged(user.id);
  }

  private async userOf(caller: Principal) {
    if (!caller.userId) throw forbidden('The ADMIN_TOKEN break-glass has no ao identity to subscribe with');
    return this.prisma.user.findUniqueOrThrow({ where: { id: caller.userId } });
  }

  /** Whether the agent holds paid access for `address` now (its Get-Subscriptions, through a dry-run). */
  private async paidUp(pid: string, address: string): Promise<boolean> {
    const rows = parseData(await this.messenger.query(pid, 'Get-Subscriptions'));
    const row = Array.isArray(rows) ? (rows as { subscriber?: string; paidUntil?: number; whitelisted?: boolean }[]).find((r) => r.subscriber === address) : undefined;
    return Boolean(row && (row.whitelisted || (row.paidUntil ?? 0) > Date.now()));
  }

  /** Transfer of `price` to the agent, for the subscriber, signed as them; then the agent's word on it. */
  private async pay(signer: ItemSigner, token: string, agent: string, price: string): Promise<string> {
    const { messageId, reply } = await this.messenger.ask(
      token,
      [{ name: 'Action', value: 'Transfer' }, { name: 'Recipient', value: agent }, { name: 'Quantity', value: price }, { name: 'X-Action', value: 'Pay-For-Subscription' }, { name: 'X-Subscriber', value: signer.address }],
      ['Debit-Notice', 'Transfer-Error'],
      '',
      signer,
    );
    if (reply?.tags.Action !== 'Debit-Notice') throw new PlatformError(422, 'PAYMENT_FAILED', `The payment failed: ${reply?.tags.Error ?? 'no answer'}`, { messageId, token, price });
    await this.confirmPayment(token, messageId, agent);
    return messageId;
  }

  /**
   * A Transfer the user signed with their own wallet: checked (their wallet, the strategy's token,
   * the agent as recipient, at least the price), relayed as is, debited, and accepted by the agent.
   */
  private async relayPayment(address: string, pid: string, priced: { price: string; token: string }, paymentItem: string): Promise<string> {
    const raw = Buffer.from(paymentItem, 'base64');
    const item = await this.scheduler.verify(raw);
    const problems: string[] = [];
    if (item.ownerAddress !== address) problems.push(`signed by ${item.ownerAddress}, not the user's wallet ${address}`);
    if (item.target !== priced.token) problems.push(`targets ${item.target ?? 'nothing'}, not the strategy's token ${priced.token}`);
    if (getTag(item.tags, 'Action') !== 'Transfer') problems.push('Action must be Transfer');
    if (getTag(item.tags, 'Recipient') !== pid) problems.push(`Recipient must be the agent ${pid}`);
    if (getTag(item.tags, 'X-Action') !== 'Pay-For-Subscription') problems.push('X-Action must be Pay-For-Subscription');
    const subscriber = getTag(item.tags, 'X-Subscriber');
    if (subscriber !== undefined && subscriber !== address) problems.push(`X-Subscriber must be the user's wallet ${address} (or absent)`);
    const quantity = getTag(item.tags, 'Quantity') ?? '';
    if (!/^\d{1,40}$/.test(quantity)) problems.push('Quantity must be an integer string');
    if (problems.length) throw new PlatformError(400, 'VALIDATION_FAILED', problems.join('; '), { fields: problems.map((message) => ({ field: 'paymentItem', rule: 'pay-for-subscription', message })) });
    if (BigInt(quantity) < BigInt(priced.price)) {
      throw new PlatformError(402, 'UNDERPAID', `The payment of ${quantity} is below the strategy's price of ${priced.price}; nothing was sent`, { price: priced.price, quantity, token: priced.token });
    }
    const messageId = await this.messenger.accept(raw);
    const reply = findReply(await this.messenger.result(priced.token, messageId), ['Debit-Notice', 'Transfer-Error']);
    if (reply?.tags.Action !== 'Debit-Notice') throw new PlatformError(422, 'PAYMENT_FAILED', `The payment failed: ${reply?.tags.Error ?? 'no answer'}`, { messageId, token: priced.token, price: priced.price });
    await this.confirmPayment(priced.token, messageId, pid);
    return messageId;
  }

  /** The agent's answer to the Credit-Notice of a payment: a refund (wrong token, no pricing, full) is refused. */
  private async confirmPayment(token: string, transferId: string, pid: string): Promise<void> {
    const { messageId, reply } = await this.messenger.followUp(token, transferId, pid, ['Pay-For-Subscription-Confirmation', 'Pay-For-Subscription-Error']);
    if (reply?.tags.Action !== 'Pay-For-Subscription-Confirmation') {
      throw new PlatformError(422, 'PAYMENT_REFUSED', `The agent refunded the payment: ${reply?.tags.Error ?? 'no answer'}`, { messageId: transferId, creditNotice: messageId, error: reply?.tags.Error ?? null });
    }
  }

  /** A Register-Subscriber item the user signed with their own wallet, checked (not yet sent). */
  private async checkSigned(address: string, pid: string, signedItem: string | undefined, topics: string[]): Promise<Uint8Array> {
    if (!signedItem) throw new PlatformError(400, 'VALIDATION_FAILED', 'This user signs with their own wallet: send signedItem', { fields: [{ field: 'signedItem', rule: 'required', message: 'signedItem is required for users with their own wallet' }] });
    const raw = Buffer.from(signedItem, 'base64');
    const item = await this.scheduler.verify(raw);
    const problems: string[] = [];
    if (item.ownerAddress !== address) problems.push(`signed by ${item.ownerAddress}, not the user's wallet ${address}`);
    if (item.target !== pid) problems.push(`targets ${item.target ?? 'nothing'}, not the agent ${pid}`);
    if (getTag(item.tags, 'Action') !== 'Register-Subscriber') problems.push('Action must be Register-Subscriber');
    if (getTag(item.tags, 'Topics') !== JSON.stringify(topics)) problems.push(`Topics must be ${JSON.stringify(topics)}`);
    if (problems.length) throw new PlatformError(400, 'VALIDATION_FAILED', problems.join('; '), { fields: problems.map((message) => ({ field: 'signedItem', rule: 'register-subscriber', message })) });
    return raw;
  }

  /** Relays the checked Register-Subscriber item as is and waits for the agent's confirmation. */
  private async acceptSigned(pid: string, raw: Uint8Array): Promise<string> {
    const messageId = await this.messenger.accept(raw);
    const result = await this.messenger.result(pid, messageId);
    const reply = findReply(result, ['Register-Subscriber-Confirmation', 'Register-Subscriber-Error']);
    if (reply?.tags.Action !== 'Register-Subscriber-Confirmation') throw new PlatformError(422, 'AGENT_REFUSED', `The agent refused the subscription: ${reply?.tags.Error ?? 'no answer'}`, { messageId, error: reply?.tags.Error ?? null });
    return messageId;
  }
}

function view(row: Subscription): SubscriptionDto {
  return { id: row.id, strategyId: row.strategyId, processId: row.processId, subscriber: row.subscriber, topics: row.topics, messageId: row.messageId, status: row.status as 'active' | 'cancelled', createdAt: row.createdAt.toISOString(), cancelledAt: row.cancelledAt?.toISOString() ?? null };
}
