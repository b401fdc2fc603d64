import { z } from 'zod';
import type { ArweaveItemSource, IndexedItem } from '@ao/core';
import type { ArweaveGateway } from '../arweave/gateway.js';
import type { PrismaClient } from '../database/prisma.js';
import { gatewayCall } from '../verify/gateway-call.js';
import { GatewayLogReader } from '../verify/gateway-log-reader.js';

const Node = z.object({
  id: z.string(),
  data: z.object({ size: z.union([z.string(), z.number()]) }),
  bundledIn: z.object({ id: z.string() }).nullish(),
  block: z.object({ height: z.number() }).nullish(),
});
const Page = z.object({ transactions: z.object({ edges: z.array(z.object({ node: Node })) }) });
const BY_ID = 'query($ids: [ID!]) { transactions(ids: $ids, first: 1) { edges { node { id data { size } bundledIn { id } block { height } } } } }';

/**
 * Items for `ao.read` straight from a gateway: GraphQL for the index (height, size, bundle), the
 * verifier's reader for the exact ANS-104 bytes. Whether an item is a data item: the index's
 * `bundledIn` when it says, else whether the gateway serves a base-layer transaction header for it.
 */
export class GatewayItemSource implements ArweaveItemSource {
  private readonly reader: GatewayLogReader;

  constructor(private readonly gateway: ArweaveGateway) {
    this.reader = new GatewayLogReader(gateway);
  }

  /** Heights only grow: once the gateway was seen at or past a height, it is not asked again for it. */
  private seen = -1;

  async reached(height: number): Promise<boolean> {
    if (height <= this.seen) return true;
    this.seen = Math.max(this.seen, (await gatewayCall(this.gateway, 'GET /info', () => this.gateway.info())).height);
    return height <= this.seen;
  }

  async lookup(id: string): Promise<IndexedItem | undefined> {
    const page = await gatewayCall(this.gateway, 'GraphQL (item by id)', async () => Page.parse(await this.gateway.graphql(BY_ID, { ids: [id] })));
    const node = page.transactions.edges.map((e) => e.node).find((n) => n.id === id);
    if (!node) return undefined;
    const bundled = node.bundledIn ? true : !(await gatewayCall(this.gateway, `GET /tx/${id}`, () => this.gateway.isBaseLayerTx(id)));
    return { id, dataSize: Number(node.data.size), bundled, ...(node.block ? { blockHeight: node.block.height } : {}) };
  }

  async raw(id: string): Promise<Uint8Array | undefined> {
    return (await this.reader.items([id])).get(id);
  }
}

/**
 * The CU's item source: confirmed items are kept in Postgres (`cu_read_items`) after the first
 * fetch, so replays and other workers read them locally; pending or unknown items always go to the
 * gateway. What comes back from either is checked against its id by the CU.
 */
export class CachedItemSource implements ArweaveItemSource {
  constructor(
    private readonly gateway: GatewayItemSource,
    private readonly prisma: PrismaClient,
  ) {}

  reached(height: number): Promise<boolean> {
    return this.gateway.reached(height);
  }

  async lookup(id: string): Promise<IndexedItem | undefined> {
    const row = await this.prisma.cuReadItem.findUnique({ where: { id }, select: { blockHeight: true, dataSize: true } });
    if (row) return { id, blockHeight: Number(row.blockHeight), dataSize: Number(row.dataSize), bundled: true };
    return this.gateway.lookup(id);
  }

  async raw(id: string): Promise<Uint8Array | undefined> {
    const row = await this.prisma.cuReadItem.findUnique({ where: { id }, select: { raw: true } });
    if (row) return new Uint8Array(row.raw);
    const meta = await this.gateway.lookup(id);
    const raw = await this.gateway.raw(id);
    if (raw && meta?.blockHeight !== undefined && meta.bundled) {
      await this.prisma.cuReadItem.createMany({
        data: [{ id, blockHeight: BigInt(meta.blockHeight), dataSize: BigInt(meta.dataSize), raw: Buffer.from(raw) }],
        skipDuplicates: true,
      });
    }
    return raw;
  }
}
