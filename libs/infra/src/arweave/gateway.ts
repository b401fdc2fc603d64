import { createHash } from 'node:crypto';
import Arweave from 'arweave';
import type { JWKInterface } from 'arweave/node/lib/wallet.js';
import { bundleAndSignData, DataItem } from 'arbundles';

/** Answer of the gateway's GET /info, as far as the platform uses it. */
export interface GatewayInfo {
  network: string;
  height: number;
  current?: string;
}

/** A failure to reach the gateway or a refusal by it. */
export class GatewayError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

const NOOP_SIGNER = {
  signatureType: 1,
  ownerLength: 512,
  signatureLength: 512,
  publicKey: Buffer.alloc(512),
  sign: () => {
    throw new Error('bundle items must be signed before bundling');
  },
};

/**
 * The Arweave gateway as the platform uses it: height, GraphQL, data by id, and uploads of
 * already-signed ANS-104 items as one bundle per L1 transaction (one RSA signature per bundle).
 */
export class ArweaveGateway {
  readonly arweave: Arweave;
  private heightCache: { height: number; at: number } | undefined;

  constructor(
    readonly url: string,
    private readonly uploadKey?: JWKInterface,
    private readonly heightTtlMs = 5_000,
    private readonly timeoutMs = 10_000,
  ) {
    const u = new URL(url);
    this.arweave = Arweave.init({
      host: u.hostname,
      port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
      protocol: u.protocol.replace(':', ''),
      // Posting a large bundle to a busy gateway takes a while; reads use their own shorter timeout.
      timeout: Math.max(timeoutMs, 120_000),
    });
  }

  /** GET /info: network name and current height. */
  async info(): Promise<GatewayInfo> {
    const body = await this.getJson<Partial<GatewayInfo>>('/info');
    if (typeof body.height !== 'number') throw new GatewayError(`gateway ${this.url} answered /info without a height`);
    return { network: String(body.network ?? 'unknown'), height: body.height, current: body.current };
  }

  /** The current block height, cached for a few seconds (the SU stamps it on every assignment). */
  async blockHeight(now = Date.now()): Promise<number> {
    if (this.heightCache && now - this.heightCache.at < this.heightTtlMs) return this.heightCache.height;
    const { height } = await this.info();
    this.heightCache = { height, at: now };
    return height;
  }

  /** The address of the upload key (the wallet that pays for bundles). */
  async uploadAddress(): Promise<string> {
    if (!this.uploadKey) throw new GatewayError('no upload key configured');
    return this.arweave.wallets.jwkToAddress(this.uploadKey);
  }

  /** Posts signed data items as one ANS-104 bundle; answers the bundle transaction id. */
  async postBundle(items: Uint8Array[]): Promise<string> {
    if (!this.uploadKey) throw new GatewayError('no upload key configured');
    if (items.length === 0) throw new GatewayError('empty bundle');
    const dataItems = items.map((raw) => {
      const item = new DataItem(Buffer.from(raw));
      // A parsed item is not "signed" for arbundles until its id is set from the signature.
      item.rawId = createHash('sha256').update(item.rawSignature).digest();
      return item;
    });
    const bundle = await bundleAndSignData(dataItems, NOOP_SIGNER as never);
    const tx = await this.arweave.createTransaction({ data: bundle.getRaw() }, this.uploadKey);
    tx.addTag('Bundle-Format', 'binary');
    tx.addTag('Bundle-Version', '2.0.0');
    await this.arweave.transactions.sign(tx, this.uploadKey);
    const response = await this.arweave.transactions.post(tx);
    if (response.status !== 200 && response.status !== 208) {
      throw new GatewayError(`gateway refused bundle ${tx.id}: ${response.status} ${JSON.stringify(response.data)}`, response.status);
    }
    return tx.id;
  }

  /** Runs a GraphQL query against the gateway. */
  async graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await this.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
    if (body.errors?.length) throw new GatewayError(`GraphQL: ${body.errors.map((e) => e.message).join('; ')}`);
    if (!body.data) throw new GatewayError('GraphQL answer without data');
    return body.data;
  }

  /** The raw data of a transaction or data item, or undefined when the gateway does not have it. */
  async data(id: string): Promise<Buffer | undefined> {
    const response = await this.fetch(`/${encodeURIComponent(id)}`, {}, [404]);
    if (response.status === 404) return undefined;
    return Buffer.from(await response.arrayBuffer());
  }

  /** Whether the gateway can find an item by id through GraphQL (i.e. it is indexed). */
  async hasItem(id: string): Promise<boolean> {
    const data = await this.graphql<{ transactions: { edges: unknown[] } }>(
      'query($ids: [ID!]) { transactions(ids: $ids) { edges { node { id } } } }',
      { ids: [id] },
    );
    return data.transactions.edges.length > 0;
  }

  /**
   * Which of these ids the gateway already indexes. GraphQL pages hold 100 transactions, so the ids
   * go 100 to a field, and up to `fieldsPerRequest` fields (aliases of one query) to a request: one
   * request for a thousand ids costs the embedded gateway about a third of ten requests' CPU (each
   * request is parsed, validated and answered on its own).
   */
  async existingIds(ids: string[], fieldsPerRequest = 10): Promise<Set<string>> {
    const found = new Set<string>();
    const pages: string[][] = [];
    for (let i = 0; i < ids.length; i += 100) pages.push(ids.slice(i, i + 100));
    for (let r = 0; r < pages.length; r += fieldsPerRequest) {
      const group = pages.slice(r, r + fieldsPerRequest);
      const query = `query(${group.map((_, i) => `$i${i}: [ID!]`).join(', ')}) { ${group
        .map((_, i) => `p${i}: transactions(ids: $i${i}, first: 100) { edges { node { id } } }`)
        .join(' ')} }`;
      const data = await this.graphql<Record<string, { edges: { node: { id: string } }[] }>>(query, Object.fromEntries(group.map((page, i) => [`i${i}`, page])));
      for (const field of Object.values(data)) for (const e of field.edges) found.add(e.node.id);
    }
    return found;
  }

  /**
   * Which of these transactions are mined, by one GraphQL query per 100 ids (a pending transaction
   * is answered with no block, or not at all, as arlocal does). Whether an unanswered one is pending
   * or unknown takes its status (GET /tx/{id}/status).
   */
  async minedIds(ids: string[]): Promise<Set<string>> {
    const mined = new Set<string>();
    for (let i = 0; i < ids.length; i += 100) {
      const data = await this.graphql<{ transactions: { edges: { node: { id: string; block: { height: number } | null } }[] } }>(
        'query($ids: [ID!]) { transactions(ids: $ids, first: 100) { edges { node { id block { height } } } } }',
        { ids: ids.slice(i, i + 100) },
      );
      for (const e of data.transactions.edges) if (e.node.block) mined.add(e.node.id);
    }
    return mined;
  }

  /** GET /tx/{id}: whether the id is a base-layer transaction (its header has a format and a signature). */
  async isBaseLayerTx(id: string): Promise<boolean> {
    const response = await this.fetch(`/tx/${encodeURIComponent(id)}`, {}, [400, 404, 410]);
    if (response.status !== 200) return false;
    const body = (await response.json().catch(() => undefined)) as { format?: unknown; signature?: unknown } | undefined;
    return typeof body?.signature === 'string' && typeof body.format === 'number';
  }

  /** arlocal only: mints test AR to an address. */
  async mint(address: string, winston: string): Promise<void> {
    await this.fetch(`/mint/${encodeURIComponent(address)}/${winston}`);
  }

  /** arlocal only: mines a block so pending transactions confirm. */
  async mine(): Promise<void> {
    await this.fetch('/mine');
  }

  /** Wallet balance in winston. */
  async balance(address: string): Promise<bigint> {
    const response = await this.fetch(`/wallet/${encodeURIComponent(address)}/balance`);
    return BigInt((await response.text()).trim() || '0');
  }

  private async getJson<T>(path: string): Promise<T> {
    const response = await this.fetch(path);
    try {
      return (await response.json()) as T;
    } catch {
      throw new GatewayError(`gateway ${this.url} answered ${path} with something that is not JSON`);
    }
  }

  private async fetch(path: string, init: RequestInit = {}, okStatuses: number[] = []): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.url), { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new GatewayError(`gateway ${this.url} unreachable: ${(error as Error).message}`);
    }
    if (!response.ok && !okStatuses.includes(response.status)) {
      throw new GatewayError(`gateway ${this.url}${path} answered ${response.status}`, response.status);
    }
    return response;
  }
}
