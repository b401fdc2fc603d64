import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { createDataItem, type EvalResult, type ItemSigner, type Tag } from '@ao/core';
import { createItemSigner, ENV, PRISMA, WALLETS, type Env, type PlatformWallets, type PrismaClient } from '@ao/infra';
import { CuService } from '../cu/cu.service.js';
import { MuService } from '../mu/mu.service.js';
import { PlatformError } from '../common/platform-error.js';

const AO_TAGS = (type: 'Message' | 'Process'): Tag[] => [
  { name: 'Data-Protocol', value: 'ao' },
  { name: 'Variant', value: 'ao.TN.1' },
  { name: 'Type', value: type },
];

/** A reply in a result's outbox, as tags plus data. */
export interface Reply {
  tags: Record<string, string>;
  data: string;
}

/**
 * The platform's voice on ao: every action on an agent is a data item signed by the platform's
 * key (the agents' owner and authority) carrying the acting user in `Acting-User`, accepted
 * through the MU's own use case (SU log → CU → MU), so `npm run verify` re-derives it.
 */
@Injectable()
export class AgentMessenger {
  readonly platform: ItemSigner;

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(WALLETS) wallets: PlatformWallets,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly mu: MuService,
    private readonly cu: CuService,
  ) {
    this.platform = createItemSigner(wallets.signing);
  }

  get address(): string {
    return this.platform.address;
  }

  /** The module id processes are spawned with (`lua-5.4-aos`), and the other published modules. */
  async modules(): Promise<Record<string, string>> {
    const row = await this.prisma.platformState.findUnique({ where: { key: 'modules' } });
    return (row?.value as Record<string, string> | undefined) ?? {};
  }

  /** Signs a Process item (without sending it): its id is the agent's process id. */
  async processItem(tags: Tag[], data: string) {
    const modules = await this.modules();
    const module = modules['lua-5.4-aos'];
    if (!module) throw new PlatformError(503, 'MODULES_NOT_PUBLISHED', 'The Lua module is not published yet; retry in a moment');
    return createDataItem(
      { data, anchor: anchor(), tags: [...AO_TAGS('Process'), { name: 'Module', value: module }, { name: 'Scheduler', value: this.address }, { name: 'Authority', value: this.address }, { name: 'On-Boot', value: 'Data' }, ...tags] },
      this.platform,
    );
  }

  /** Sends a message to a process, signed by `signer` (the platform by default); its id. */
  async send(processId: string, tags: Tag[], data = '', signer: ItemSigner = this.platform): Promise<string> {
    const item = await createDataItem({ data, target: processId, anchor: anchor(), tags: [...AO_TAGS('Message'), ...tags] }, signer);
    return (await this.mu.accept(item.raw)).id;
  }

  /** Accepts an item already signed (a Process item, or one a user signed with their own wallet). */
  async accept(raw: Uint8Array): Promise<string> {
    return (await this.mu.accept(raw)).id;
  }

  /** The result of a message, waiting (RESULT_TIMEOUT_MS); 504 when the agent did not answer in time, 502 when it failed. */
  async result(processId: string, messageId: string): Promise<EvalResult> {
    const lookup = await this.cu.result(processId, messageId);
    if (lookup.status === 'pending') {
      throw new PlatformError(504, 'AGENT_NO_ANSWER', `The agent has not evaluated message ${messageId} yet; it stays in its log and will be`, { processId, messageId });
    }
    if (lookup.result.Error) throw new PlatformError(502, 'AGENT_ERROR', `The agent failed on message ${messageId}: ${String(lookup.result.Error)}`, { processId, messageId, error: lookup.result.Error });
    return lookup.result;
  }

  /** Sends and waits for the reply with one of `actions` (the first found), in the result's outbox. */
  async ask(processId: string, tags: Tag[], actions: string[], data = '', signer?: ItemSigner): Promise<{ messageId: string; reply: Reply | undefined; result: EvalResult }> {
    const messageId = await this.send(processId, tags, data, signer);
    const result = await this.result(processId, messageId);
    return { messageId, reply: findReply(result, actions), result };
  }

  /**
   * Follows a message's outbox one hop: the reply with one of `actions` that `target` gave to the
   * message `messageId` of `fromProcess` sent it (a token's Credit-Notice to an agent, say), once
   * the MU has pushed it and `target` evaluated it; 504 when that takes past RESULT_TIMEOUT_MS.
   */
  async followUp(fromProcess: string, messageId: string, target: string, actions: string[]): Promise<{ messageId: string; reply: Reply | undefined }> {
    const deadline = Date.now() + this.env.RESULT_TIMEOUT_MS;
    const assignment = await this.prisma.assignment.findUnique({ where: { processId_messageId: { processId: fromProcess, messageId } }, select: { nonce: true } });
    if (!assignment) throw new PlatformError(504, 'AGENT_NO_ANSWER', `Message ${messageId} is not in the log of ${fromProcess}`, { processId: fromProcess, messageId });
    for (let wait = 20; ; wait = Math.min(wait * 2, 250)) {
      const push = await this.prisma.push.findFirst({ where: { fromProcess, fromNonce: assignment.nonce, kind: 'message', target, itemId: { not: null } }, select: { itemId: true } });
      if (push?.itemId) {
        const result = await this.result(target, push.itemId);
        return { messageId: push.itemId, reply: findReply(result, actions) };
      }
      if (Date.now() > deadline) throw new PlatformError(504, 'AGENT_NO_ANSWER', `The message ${messageId} sent to ${target} was not delivered within RESULT_TIMEOUT_MS`, { processId: fromProcess, messageId, target });
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** A read-only query through a dry-run (nothing is scheduled). */
  async query(processId: string, action: string, tags: Tag[] = []): Promise<Reply | undefined> {
    const result = await this.cu.dryRun(processId, { From: this.address, Owner: this.address, Tags: [...AO_TAGS('Message'), { name: 'Action', value: action }, ...tags] });
    return (result.Messages ?? []).map(toReply)[0];
  }
}

/** The first outbox message whose Action is one of `actions`. */
export function findReply(result: EvalResult, actions: string[]): Reply | undefined {
  return (result.Messages ?? []).map(toReply).find((r) => actions.includes(r.tags.Action ?? ''));
}

function toReply(message: { Tags?: Tag[]; Data?: unknown }): Reply {
  return { tags: Object.fromEntries((message.Tags ?? []).map((t) => [t.name, t.value])), data: typeof message.Data === 'string' ? message.Data : JSON.stringify(message.Data ?? '') };
}

function anchor(): string {
  return randomBytes(24).toString('base64url');
}
