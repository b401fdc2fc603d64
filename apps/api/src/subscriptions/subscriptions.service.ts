import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { getTag, Scheduler, type ItemSigner } from '@ao/core';
import { PRISMA, type IdentityVault, type PrismaClient, type Subscription } from '@ao/infra';
import { AgentMessenger } from '../agents/agent-messenger.js';
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
    let messageId: string;
    let paymentMessageId: string | undefined;
    if (user.aoKey) {
      if (input.signedItem) throw new PlatformError(400, 'VALIDATION_FAILED', 'The platform signs for this user: leave signedItem out', { fields: [{ field: 'signedItem', rule: 'wallet-mode', message: 'only for users with their own wallet' }] });
      const signer = this.vault.signer(user.aoKey);
      if (strategy.price && strategy.token) paymentMessageId = await this.pay(signer, strategy.token, pid, strategy.price);
      const asked = await this.messenger.ask(pid, [{ name: 'Action', value: 'Register-Subscriber' }, { name: 'Topics', value: JSON.stringify(topics) }], ['Register-Subscriber-Confirmation', 'Register-Subscriber-Error'], '', signer);
      if (asked.reply?.tags.Action !== 'Register-Subscriber-Confirmation') {
        throw new PlatformError(422, 'AGENT_REFUSED', `The agent refused the subscription: ${asked.reply?.tags.Error ?? 'no answer'}`, { messageId: asked.messageId, error: asked.reply?.tags.Error ?? null });
      }
      messageId = asked.messageId;
    } else {
      messageId = await this.acceptSigned(user.aoAddress, pid, input.signedItem, topics);
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

  /** Transfer of `price` to the agent, for the subscriber (its Credit-Notice buys the access). */
  private async pay(signer: ItemSigner, token: string, agent: string, price: string): Promise<string> {
    const { messageId, reply } = await this.messenger.ask(
      token,
      [{ name: 'Action', value: 'Transfer' }, { name: 'Recipient', value: agent }, { name: 'Quantity', value: price }, { name: 'X-Action', value: 'Pay-For-Subscription' }, { name: 'X-Subscriber', value: signer.address }],
      ['Debit-Notice', 'Transfer-Error'],
      '',
      signer,
    );
    if (reply?.tags.Action !== 'Debit-Notice') throw new PlatformError(422, 'PAYMENT_FAILED', `The payment failed: ${reply?.tags.Error ?? 'no answer'}`, { messageId, token, price });
    return messageId;
  }

  /** A Register-Subscriber item the user signed with their own wallet: checked, then accepted as is. */
  private async acceptSigned(address: string, pid: string, signedItem: string | undefined, topics: string[]): Promise<string> {
    if (!signedItem) throw new PlatformError(400, 'VALIDATION_FAILED', 'This user signs with their own wallet: send signedItem', { fields: [{ field: 'signedItem', rule: 'required', message: 'signedItem is required for users with their own wallet' }] });
    const raw = Buffer.from(signedItem, 'base64');
    const item = await this.scheduler.verify(raw);
    const problems: string[] = [];
    if (item.ownerAddress !== address) problems.push(`signed by ${item.ownerAddress}, not the user's wallet ${address}`);
    if (item.target !== pid) problems.push(`targets ${item.target ?? 'nothing'}, not the agent ${pid}`);
    if (getTag(item.tags, 'Action') !== 'Register-Subscriber') problems.push('Action must be Register-Subscriber');
    if (getTag(item.tags, 'Topics') !== JSON.stringify(topics)) problems.push(`Topics must be ${JSON.stringify(topics)}`);
    if (problems.length) throw new PlatformError(400, 'VALIDATION_FAILED', problems.join('; '), { fields: problems.map((message) => ({ field: 'signedItem', rule: 'register-subscriber', message })) });
    const messageId = await this.messenger.accept(raw);
    const result = await this.messenger.result(pid, messageId);
    const confirmed = (result.Messages ?? []).some((m) => m.Tags?.some((t) => t.name === 'Action' && t.value === 'Register-Subscriber-Confirmation'));
    if (!confirmed) throw new PlatformError(422, 'AGENT_REFUSED', 'The agent refused the subscription', { messageId });
    return messageId;
  }
}

function view(row: Subscription): SubscriptionDto {
  return { id: row.id, strategyId: row.strategyId, processId: row.processId, subscriber: row.subscriber, topics: row.topics, messageId: row.messageId, status: row.status as 'active' | 'cancelled', createdAt: row.createdAt.toISOString(), cancelledAt: row.cancelledAt?.toISOString() ?? null };
}
