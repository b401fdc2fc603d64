import { z } from 'zod';
import type { ArweaveGateway } from '../arweave/gateway.js';
import { gatewayCall } from './gateway-call.js';

interface Location {
  bundleId: string;
  start: number;
  size: number;
}

const BundlePage = z.object({
  transactions: z.object({
    pageInfo: z.object({ hasNextPage: z.boolean() }),
    edges: z.array(z.object({ cursor: z.string(), node: z.object({ id: z.string() }) })),
  }),
});

const BUNDLES_AT_HEIGHT = `query($h: Int, $after: String) {
  transactions(first: 100, after: $after, block: { min: $h, max: $h },
    tags: [{ name: "Bundle-Format", values: ["binary"] }, { name: "Bundle-Version", values: ["2.0.0"] }]) {
    pageInfo { hasNextPage } edges { cursor node { id } } } }`;

/** Reads an ANS-104 bundle header: item sizes and ids, offsets from the end of the header. */
function readHeader(bytes: Buffer): { id: string; start: number; size: number }[] | undefined {
  if (bytes.length < 32) return undefined;
  const count = Number(bytes.readBigUInt64LE(0));
  const headerEnd = 32 + 64 * count;
  if (!Number.isSafeInteger(headerEnd) || headerEnd > bytes.length) return undefined;
  const out: { id: string; start: number; size: number }[] = [];
  let offset = headerEnd;
  for (let i = 0; i < count; i += 1) {
    const at = 32 + 64 * i;
    const size = Number(bytes.readBigUInt64LE(at));
    if (offset + size > bytes.length) return undefined;
    out.push({ id: bytes.subarray(at + 32, at + 64).toString('base64url'), start: offset, size });
    offset += size;
  }
  return out;
}

/**
 * Finds an item's exact bytes inside the ANS-104 bundle that carried it, for gateways whose index
 * loses a field the signature covers (arlocal drops the anchor of bundled items). The bundle is
 * the one GraphQL names in `bundledIn`, or, when the gateway does not say (arlocal again), one of
 * the bundles mined in the item's block. Bundle bytes are kept in a small LRU cache.
 */
export class BundleIndex {
  private readonly located = new Map<string, Location>();
  // Promises, not flags: concurrent lookups of one height or bundle wait for the same search.
  private readonly indexed = new Map<string, Promise<void>>();
  private readonly searchedHeights = new Map<number, Promise<void>>();
  private readonly cache = new Map<string, Buffer>();

  constructor(
    private readonly gateway: ArweaveGateway,
    private readonly cacheSize = 16,
  ) {}

  /** The item's bytes from its bundle, or undefined when no bundle at hand holds it. */
  async find(id: string, hint: { bundledIn?: string; height?: number }): Promise<Buffer | undefined> {
    if (!this.located.has(id) && hint.bundledIn) await this.index(hint.bundledIn);
    if (!this.located.has(id) && hint.height !== undefined) await this.searchHeight(hint.height);
    const at = this.located.get(id);
    if (!at) return undefined;
    const bundle = await this.bundle(at.bundleId);
    return bundle ? Buffer.from(bundle.subarray(at.start, at.start + at.size)) : undefined;
  }

  private searchHeight(height: number): Promise<void> {
    let search = this.searchedHeights.get(height);
    if (!search) {
      search = this.bundlesAt(height).then(async (ids) => {
        for (const bundleId of ids) await this.index(bundleId);
      });
      this.searchedHeights.set(height, search);
      search.catch(() => this.searchedHeights.delete(height));
    }
    return search;
  }

  private async bundlesAt(height: number): Promise<string[]> {
    const ids: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await gatewayCall(this.gateway, 'GraphQL (bundles by height)', async () =>
        BundlePage.parse(await this.gateway.graphql(BUNDLES_AT_HEIGHT, { h: height, ...(after ? { after } : {}) })),
      );
      ids.push(...page.transactions.edges.map((e) => e.node.id));
      const last = page.transactions.edges.at(-1);
      if (!page.transactions.pageInfo.hasNextPage || !last) return ids;
      after = last.cursor;
    }
  }

  private index(bundleId: string): Promise<void> {
    let indexing = this.indexed.get(bundleId);
    if (!indexing) {
      indexing = this.readBundle(bundleId);
      this.indexed.set(bundleId, indexing);
      indexing.catch(() => this.indexed.delete(bundleId));
    }
    return indexing;
  }

  private async readBundle(bundleId: string): Promise<void> {
    const bytes = await this.bundle(bundleId);
    // Not a readable bundle: nothing to find in it (the item is then judged on its indexed fields).
    for (const entry of (bytes && readHeader(bytes)) ?? []) {
      if (!this.located.has(entry.id)) this.located.set(entry.id, { bundleId, start: entry.start, size: entry.size });
    }
  }

  private async bundle(bundleId: string): Promise<Buffer | undefined> {
    const hit = this.cache.get(bundleId);
    if (hit) {
      this.cache.delete(bundleId);
      this.cache.set(bundleId, hit);
      return hit;
    }
    const bytes = await gatewayCall(this.gateway, `data of bundle ${bundleId}`, () => this.gateway.data(bundleId));
    if (!bytes) return undefined;
    this.cache.set(bundleId, bytes);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
    return bytes;
  }
}
