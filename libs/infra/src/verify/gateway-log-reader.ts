import { z } from 'zod';
import { assembleDataItem, decodeId, isId, ownerAddress, parseDataItem, sha256Address, verifyDataItem, type CheckpointRef, type LogReader } from '@ao/core';
import type { ArweaveGateway } from '../arweave/gateway.js';
import { BundleIndex } from './bundle-index.js';
import { gatewayCall } from './gateway-call.js';

const Node = z.object({
  id: z.string(),
  anchor: z.string().nullish(),
  signature: z.string(),
  recipient: z.string().nullish(),
  owner: z.object({ key: z.string() }),
  tags: z.array(z.object({ name: z.string(), value: z.string() })),
  data: z.object({ size: z.union([z.string(), z.number()]) }),
  bundledIn: z.object({ id: z.string() }).nullish(),
  block: z.object({ height: z.number() }).nullish(),
});
type Node = z.infer<typeof Node>;

const Page = z.object({
  transactions: z.object({
    pageInfo: z.object({ hasNextPage: z.boolean() }).optional(),
    edges: z.array(z.object({ cursor: z.string().optional(), node: Node })),
  }),
});

const FIELDS = 'id anchor signature recipient owner { key } tags { name value } data { size } bundledIn { id } block { height }';

const BY_IDS = `query($ids: [ID!], $first: Int) { transactions(ids: $ids, first: $first) { edges { node { ${FIELDS} } } } }`;

const byTags = (withOwners: boolean) => `query($tags: [TagFilter!], ${withOwners ? '$owners: [String!], ' : ''}$first: Int, $after: String) {
  transactions(tags: $tags, ${withOwners ? 'owners: $owners, ' : ''}first: $first, after: $after, sort: HEIGHT_ASC) {
    pageInfo { hasNextPage } edges { cursor node { ${FIELDS} } } } }`;

/** Runs `fn` over `items` with at most `limit` calls in flight, answers in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The anchor bytes a gateway's `anchor` text may stand for: the UTF-8 of 32 characters, or base64url of 32 bytes. */
function anchorCandidates(anchor: string | null | undefined): (Buffer | undefined)[] {
  if (!anchor) return [undefined];
  const out: Buffer[] = [];
  const text = Buffer.from(anchor, 'utf8');
  if (text.length === 32) out.push(text);
  const decoded = decodeId(anchor);
  if (decoded) out.push(decoded);
  return out;
}

/**
 * The verifier's view of an Arweave gateway: GraphQL for the index (by ids, and by tags for a
 * process's assignments and checkpoints) and GET /{id} for data. Each item's exact ANS-104 bytes are rebuilt from
 * its indexed fields; when those do not verify (a gateway that lost a field, e.g. arlocal drops
 * anchors), from the bundle that carried it. Whatever cannot be rebuilt is returned as best it can
 * be, for the verifier to reject. Gateway failures throw GatewayError.
 */
export class GatewayLogReader implements LogReader {
  private readonly bundles: BundleIndex;

  constructor(
    private readonly gateway: ArweaveGateway,
    private readonly options: { pageSize?: number; concurrency?: number } = {},
  ) {
    this.bundles = new BundleIndex(gateway);
  }

  async items(ids: readonly string[]): Promise<Map<string, Uint8Array>> {
    const wanted = [...new Set(ids)];
    const out = new Map<string, Uint8Array>();
    for (let i = 0; i < wanted.length; i += 100) {
      const chunk = wanted.slice(i, i + 100);
      const page = await this.query('GraphQL (items by id)', BY_IDS, { ids: chunk, first: chunk.length });
      const nodes = page.transactions.edges.map((e) => e.node).filter((n) => chunk.includes(n.id));
      const raws = await mapLimit(nodes, this.options.concurrency ?? 8, (n) => this.rebuild(n));
      nodes.forEach((n, j) => out.set(n.id, raws[j]));
    }
    return out;
  }

  async *assignments(processId: string, scheduler: string, fromNonce?: number): AsyncIterable<Uint8Array[]> {
    // The index's Nonce tag only decides what is not rebuilt; the verifier checks the signed one.
    const wanted = (n: Node) => fromNonce === undefined || !(Number(tagOf(n, 'Nonce')) < fromNonce);
    for await (const nodes of this.byTags('GraphQL (assignments by tags)', assignmentTags(processId), scheduler)) {
      yield await mapLimit(nodes.filter(wanted), this.options.concurrency ?? 8, (n) => this.rebuild(n));
    }
  }

  async assignmentsAt(processId: string, scheduler: string, nonce: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    const tags = [...assignmentTags(processId), { name: 'Nonce', values: [String(nonce)] }];
    for await (const nodes of this.byTags('GraphQL (assignment by nonce)', tags, scheduler)) {
      out.push(...(await mapLimit(nodes, this.options.concurrency ?? 8, (n) => this.rebuild(n))));
    }
    return out;
  }

  async checkpoints(processId: string): Promise<CheckpointRef[]> {
    const out: CheckpointRef[] = [];
    const tags = [
      { name: 'Type', values: ['Checkpoint'] },
      { name: 'Process', values: [processId] },
    ];
    for await (const nodes of this.byTags('GraphQL (checkpoints by tags)', tags)) {
      for (const n of nodes) {
        const nonceText = tagOf(n, 'Nonce') ?? '';
        out.push({ id: n.id, nonce: /^\d{1,16}$/.test(nonceText) ? Number(nonceText) : NaN, signer: indexedSigner(n.owner.key) });
      }
    }
    return out;
  }

  /** Pages of the indexed items with these tags (owned by `owner` when it is an Arweave address), each id once. */
  private async *byTags(what: string, tags: { name: string; values: string[] }[], owner?: string): AsyncIterable<Node[]> {
    // Owners filter by address; an Ethereum scheduler's 0x address is filtered by the verifier instead.
    const withOwners = owner !== undefined && isId(owner);
    const seen = new Set<string>();
    let after: string | undefined;
    for (;;) {
      const vars = { tags, ...(withOwners ? { owners: [owner] } : {}), first: this.options.pageSize ?? 100, ...(after ? { after } : {}) };
      const page = await this.query(what, byTags(withOwners), vars);
      const nodes = page.transactions.edges.map((e) => e.node).filter((n) => !seen.has(n.id));
      for (const n of nodes) seen.add(n.id);
      yield nodes;
      const last = page.transactions.edges.at(-1)?.cursor;
      if (!page.transactions.pageInfo?.hasNextPage || !last) return;
      after = last;
    }
  }

  private query(what: string, query: string, variables: Record<string, unknown>): Promise<z.infer<typeof Page>> {
    return gatewayCall(this.gateway, what, async () => Page.parse(await this.gateway.graphql(query, variables)));
  }

  private async rebuild(node: Node): Promise<Uint8Array> {
    const size = Number(node.data.size);
    const data = size === 0 ? Buffer.alloc(0) : await gatewayCall(this.gateway, `data of ${node.id}`, () => this.gateway.data(node.id));
    const candidates = data ? this.assemble(node, data) : [];
    for (const raw of candidates) if (await signedAs(raw, node.id)) return raw;
    const fromBundle = await this.bundles.find(node.id, { bundledIn: node.bundledIn?.id, height: node.block?.height ?? undefined });
    return fromBundle ?? candidates[0] ?? Buffer.alloc(0);
  }

  private assemble(node: Node, data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (const anchor of anchorCandidates(node.anchor)) {
      try {
        out.push(
          assembleDataItem({
            signature: Buffer.from(node.signature, 'base64url'),
            owner: Buffer.from(node.owner.key, 'base64url'),
            ...(node.recipient ? { target: Buffer.from(node.recipient, 'base64url') } : {}),
            ...(anchor ? { anchor } : {}),
            tags: node.tags,
            data,
          }),
        );
      } catch {
        // fields that make no item: try the next reading, then the bundle
      }
    }
    return out;
  }
}

function assignmentTags(processId: string): { name: string; values: string[] }[] {
  return [
    { name: 'Type', values: ['Assignment'] },
    { name: 'Process', values: [processId] },
  ];
}

function tagOf(node: Node, name: string): string | undefined {
  return node.tags.find((t) => t.name === name)?.value;
}

/** The ao address of an indexed owner key: an uncompressed secp256k1 key is an Ethereum signer, any other is hashed. */
function indexedSigner(key: string): string {
  const bytes = Buffer.from(key, 'base64url');
  try {
    return ownerAddress(bytes.length === 65 ? 3 : 1, bytes);
  } catch {
    return sha256Address(bytes);
  }
}

async function signedAs(raw: Buffer, id: string): Promise<boolean> {
  try {
    const item = parseDataItem(raw);
    return item.id === id && (await verifyDataItem(item));
  } catch {
    return false;
  }
}
