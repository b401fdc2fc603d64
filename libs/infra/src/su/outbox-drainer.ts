import type { PrismaClient } from '../database/prisma.js';
import type { ArweaveGateway } from '../arweave/gateway.js';

export interface DrainReport {
  uploaded: number;
  bundles: number;
  failed: number;
  confirmed: number;
  /** Items whose bundle was mined but which the gateway does not serve; put back to pending. */
  lost: number;
  /** Items that failed their last allowed attempt (now `failed`, dead letters), with the reason. */
  deadLetters: { itemId: string; reason: string }[];
}

export interface OutboxDrainerOptions {
  batchSize: number;
  maxBundleBytes: number;
  /**
   * How long a claimed batch stays invisible to other drainers; a crashed drainer's batch comes back
   * after it. A live drainer renews it every third of it while it posts, so it can be short.
   */
  leaseSeconds: number;
  /** Attempts after which an item that keeps failing is a dead letter (`failed`, with the reason). */
  maxAttempts: number;
  /** How long after its bundle was posted an item may stay invisible to the gateway's index before it counts as lost and is posted again. */
  indexGraceSeconds: number;
  /**
   * Batches one drain works on at once: while the gateway takes one bundle, the next is claimed,
   * read and signed (a drainer alone otherwise leaves the gateway idle between its posts).
   */
  parallel: number;
}

/**
 * Bundles stay under one 256 KiB chunk: the gateway then gets the bundle inline with its header and
 * indexes the items before it answers. Larger bundles go up chunk by chunk, and arlocal unbundles
 * those from two code paths at once (on the last chunk and on /mine), racing itself and dropping
 * items; a real gateway does not mind either way, and 200 small items fit one chunk anyway.
 */
const DEFAULTS: OutboxDrainerOptions = { batchSize: 200, maxBundleBytes: 240 * 1024, leaseSeconds: 30, indexGraceSeconds: 120, maxAttempts: 10, parallel: 2 };

/**
 * Empties the upload outbox onto the gateway.
 *
 * A batch of due rows is leased by one row in `upload_leases` (their ids and until when), inserted by
 * a short transaction that holds that table's lock, so several workers share the work without taking
 * the same rows; a drainer that dies mid-post gives its rows back when its lease runs out. The rows
 * themselves are not written by the claim: each item's row is written three times in all (stored,
 * uploaded, confirmed), and only the indexes of the state it enters gain an entry (partial indexes;
 * docs/pipeline-batching.md, item 3). The network post happens outside any transaction. A failed
 * post leaves the rows pending with a growing backoff and the reason; nothing is dropped.
 *
 * "Uploaded" is not "stored": some gateways (arlocal among them) accept a bundle and then drop
 * items they fail to index. So a row is only marked confirmed once its bundle is mined AND the
 * gateway answers for the item itself; an item missing after its bundle was mined goes back to
 * pending with that reason.
 */
export class OutboxDrainer {
  private readonly options: OutboxDrainerOptions;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly gateway: ArweaveGateway,
    options: Partial<OutboxDrainerOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /**
   * Uploads until nothing is due (or `maxRounds`), then checks confirmations. `shouldStop` is asked
   * between bundles: a stopping worker gives back what it leased but did not post.
   */
  async drain(maxRounds = 50, shouldStop: () => boolean = () => false): Promise<DrainReport> {
    const report: DrainReport = { uploaded: 0, bundles: 0, failed: 0, confirmed: 0, lost: 0, deadLetters: [] };
    let rounds = 0;
    let empty = false;
    const loop = async () => {
      while (rounds < maxRounds && !empty && !shouldStop()) {
        rounds += 1;
        const { claimed, uploaded, failed, bundles } = await this.uploadOnce(shouldStop, report.deadLetters);
        report.uploaded += uploaded;
        report.failed += failed;
        report.bundles += bundles;
        if (claimed === 0) empty = true;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.parallel) }, loop));
    if (shouldStop()) return report;
    const { confirmed, lost } = await this.confirm();
    report.confirmed = confirmed;
    report.lost = lost;
    return report;
  }

  private async uploadOnce(shouldStop: () => boolean, deadLetters: DrainReport['deadLetters']): Promise<{ claimed: number; uploaded: number; failed: number; bundles: number }> {
    const { lease, ids: claimedIds, suspects } = await this.claim();
    if (claimedIds.length === 0) return { claimed: 0, uploaded: 0, failed: 0, bundles: 0 };
    // Renewed while this drainer works on the batch: a drainer that dies gives it back within one lease.
    const renewal = setInterval(() => void this.renewLease(lease), (this.options.leaseSeconds * 1000) / 3);
    try {
      return await this.uploadClaimed(claimedIds.length, claimedIds, suspects, shouldStop, deadLetters);
    } finally {
      clearInterval(renewal);
      // Whatever was not posted (a stop, a failure given back with its backoff) is pending again.
      await this.prisma.$executeRaw`DELETE FROM upload_leases WHERE id = ${lease}`.catch(() => undefined);
    }
  }

  /**
   * Leases the next due pending rows (id order) that no live lease holds: one row in
   * `upload_leases`. The table's lock (self-conflicting, readers pass) serializes claims, and the
   * statement after it reads the leases committed before it. Lapsed leases are deleted on the way,
   * and their rows still pending marked: their drainer may have posted them before it stopped.
   * Answers the claimed item ids and the suspects among them: rows that were attempted before
   * (a post whose answer was lost, an item gone missing) or held by a lapsed lease.
   */
  private async claim(): Promise<{ lease: bigint; ids: string[]; suspects: Set<string> }> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`LOCK TABLE upload_leases IN SHARE ROW EXCLUSIVE MODE`;
      const rows = await tx.$queryRaw<{ item_id: string; suspect: boolean; lease: bigint | null }[]>`
        WITH lapsed AS (
          DELETE FROM upload_leases WHERE lease_until <= now() RETURNING item_ids
        ), lapsed_ids AS (
          SELECT DISTINCT unnest(item_ids) AS id FROM lapsed
        ), marked AS (
          UPDATE upload_outbox SET last_error = coalesce(last_error, 'the lease of a drainer that stopped lapsed; it may have posted the item')
          WHERE id IN (SELECT id FROM lapsed_ids) AND status = 'pending'
        ), held AS (
          SELECT unnest(item_ids) AS id FROM upload_leases WHERE lease_until > now()
        ), picked AS (
          SELECT o.id, o.item_id, (o.attempts > 0 OR o.last_error IS NOT NULL OR o.id IN (SELECT id FROM lapsed_ids)) AS suspect
          FROM upload_outbox o
          WHERE o.status = 'pending' AND o.next_attempt_at <= now() AND NOT EXISTS (SELECT 1 FROM held h WHERE h.id = o.id)
          ORDER BY o.id LIMIT ${this.options.batchSize}
        ), lease AS (
          INSERT INTO upload_leases (item_ids, lease_until)
          SELECT array_agg(id ORDER BY id), now() + make_interval(secs => ${this.options.leaseSeconds}) FROM picked HAVING count(*) > 0
          RETURNING id
        )
        SELECT p.item_id, p.suspect, (SELECT id FROM lease) AS lease FROM picked p ORDER BY p.id`;
      return { lease: rows[0]?.lease ?? 0n, ids: rows.map((r) => r.item_id), suspects: new Set(rows.filter((r) => r.suspect).map((r) => r.item_id)) };
    });
  }

  /** Pushes this drainer's lease forward (a drainer that dies stops renewing it). */
  private async renewLease(lease: bigint): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE upload_leases SET lease_until = now() + make_interval(secs => ${this.options.leaseSeconds}) WHERE id = ${lease}`.catch(() => undefined);
  }

  private async uploadClaimed(
    claimedCount: number,
    claimedIds: string[],
    suspects: Set<string>,
    shouldStop: () => boolean,
    deadLetters: DrainReport['deadLetters'],
  ): Promise<{ claimed: number; uploaded: number; failed: number; bundles: number }> {
    // An item may already be on the gateway (a retry after a post whose answer was lost, or a post
    // by a drainer that stopped before recording it): posting it again makes arlocal drop the rest
    // of the bundle, so those are marked confirmed instead. Only items attempted before can be
    // there: a first attempt asks the gateway nothing (a look-up costs it about as much as a post).
    let already = new Set<string>();
    try {
      if (suspects.size) already = await this.gateway.existingIds([...suspects]);
    } catch (error) {
      await this.release(claimedIds, error, deadLetters);
      return { claimed: claimedCount, uploaded: 0, failed: claimedIds.length, bundles: 0 };
    }
    if (already.size) {
      await this.prisma.$executeRaw`
        UPDATE upload_outbox SET status = 'confirmed', uploaded_at = coalesce(uploaded_at, now()), confirmed_at = now(), last_error = NULL
        WHERE item_id = ANY(${[...already]}::text[])`;
    }
    const ids = claimedIds.filter((id) => !already.has(id));
    if (ids.length === 0) return { claimed: claimedCount, uploaded: already.size, failed: 0, bundles: 0 };

    const raws = await this.prisma.$queryRaw<{ id: string; raw: Uint8Array }[]>`
      SELECT id, raw FROM data_items WHERE id = ANY(${ids}::text[])
      UNION ALL
      SELECT id, raw FROM assignments WHERE id = ANY(${ids}::text[])`;
    const byId = new Map(raws.map((r) => [r.id, r.raw]));
    const missing = ids.filter((id) => !byId.has(id));
    if (missing.length) {
      await this.prisma.$executeRaw`
        UPDATE upload_outbox SET status = 'failed', last_error = 'item bytes not found in data_items or assignments'
        WHERE item_id = ANY(${missing}::text[])`;
    }

    // Bundles stay under the size limit; one item alone may exceed it and goes in a bundle of its own.
    const bundles: { id: string; raw: Uint8Array }[][] = [];
    let current: { id: string; raw: Uint8Array }[] = [];
    let size = 0;
    for (const id of ids) {
      const raw = byId.get(id);
      if (!raw) continue;
      if (current.length > 0 && size + raw.byteLength > this.options.maxBundleBytes) {
        bundles.push(current);
        current = [];
        size = 0;
      }
      current.push({ id, raw });
      size += raw.byteLength;
    }
    if (current.length) bundles.push(current);

    let uploaded = already.size;
    let failed = missing.length;
    let posted = 0;
    for (const bundle of bundles) {
      // The rest is given back with the lease (uploadOnce).
      if (shouldStop()) break;
      // If the gateway refuses a bundle, each item alone, so one bad item cannot hold the others back.
      if (await this.post(bundle, deadLetters)) {
        uploaded += bundle.length;
        posted += 1;
        continue;
      }
      if (bundle.length === 1) {
        failed += 1;
        continue;
      }
      for (const item of bundle) {
        if (await this.post([item], deadLetters)) {
          uploaded += 1;
          posted += 1;
        } else failed += 1;
      }
    }
    return { claimed: claimedCount, uploaded, failed, bundles: posted };
  }

  /** Posts items as one bundle and records the outcome on their rows; answers whether it was accepted. */
  private async post(items: { id: string; raw: Uint8Array }[], deadLetters: DrainReport['deadLetters']): Promise<boolean> {
    const ids = items.map((b) => b.id);
    try {
      const bundleId = await this.gateway.postBundle(items.map((b) => b.raw));
      await this.prisma.$executeRaw`
        UPDATE upload_outbox SET status = 'uploaded', bundle_id = ${bundleId}, uploaded_at = now(), attempts = attempts + 1, last_error = NULL
        WHERE item_id = ANY(${ids}::text[]) AND status = 'pending'`;
      return true;
    } catch (error) {
      // A bundle of several is tried again item by item at once: only a lone item's failure counts.
      await this.release(ids, error, items.length === 1 ? deadLetters : undefined);
      return false;
    }
  }

  /**
   * Gives rows back as pending with exponential backoff (2 s doubling, at most 5 min) and the reason;
   * a row at its last allowed attempt becomes a dead letter (`failed`, kept with the reason) when
   * `deadLetters` is given (else the attempt is not counted: a bundle retried item by item).
   */
  private async release(ids: string[], error: unknown, deadLetters?: DrainReport['deadLetters']): Promise<void> {
    const reason = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    if (!deadLetters) {
      await this.prisma.$executeRaw`
        UPDATE upload_outbox SET last_error = ${reason}
        WHERE item_id = ANY(${ids}::text[]) AND status = 'pending'`;
      return;
    }
    const rows = await this.prisma.$queryRaw<{ item_id: string; status: string }[]>`
      UPDATE upload_outbox SET attempts = attempts + 1, last_error = ${reason},
             status = CASE WHEN attempts + 1 >= ${this.options.maxAttempts} THEN 'failed' ELSE status END,
             next_attempt_at = now() + make_interval(secs => least(power(2, attempts + 1), 300))
      WHERE item_id = ANY(${ids}::text[]) AND status = 'pending'
      RETURNING item_id, status`;
    for (const r of rows) if (r.status === 'failed') deadLetters.push({ itemId: r.item_id, reason });
  }

  /**
   * Marks items confirmed once their bundle is mined (or unknown to the gateway) and the gateway's
   * index serves the item (items of a mined bundle can take a few blocks to be indexed); items still
   * missing after the grace period go back to pending and are posted again.
   *
   * By bundle, not by item: one GraphQL query tells which of up to 100 bundles are mined, a bundle it
   * does not answer as mined is asked its status (pending, or unknown: 404), and the items of the
   * settled bundles are looked up a thousand to a request (`existingIds`). Each item is still looked
   * up: a gateway can mine a bundle and skip one of its items (one that does not verify).
   */
  async confirm(): Promise<{ confirmed: number; lost: number }> {
    const bundles = (
      await this.prisma.$queryRaw<{ bundle_id: string }[]>`
        SELECT DISTINCT bundle_id FROM upload_outbox WHERE status = 'uploaded' AND bundle_id IS NOT NULL LIMIT 100`
    ).map((b) => b.bundle_id);
    if (bundles.length === 0) return { confirmed: 0, lost: 0 };
    const mined = await this.gateway.minedIds(bundles).catch(() => undefined);
    if (!mined) return { confirmed: 0, lost: 0 };
    const settled = [...mined];
    for (const bundleId of bundles) {
      if (mined.has(bundleId)) continue;
      const status = await this.gateway.arweave.transactions.getStatus(bundleId).catch(() => undefined);
      // a bundle the gateway does not know at all (404: dropped, e.g. beside a duplicate post) is
      // never mined: its items are checked like a mined bundle's, else they would wait forever
      if ((status?.status === 200 && status.confirmed) || status?.status === 404) settled.push(bundleId);
    }
    if (settled.length === 0) return { confirmed: 0, lost: 0 };
    const rows = await this.prisma.$queryRaw<{ item_id: string }[]>`
      SELECT item_id FROM upload_outbox WHERE bundle_id = ANY(${settled}::text[]) AND status = 'uploaded'`;
    const ids = rows.map((r) => r.item_id);
    const present = await this.gateway.existingIds(ids).catch(() => undefined);
    if (!present) return { confirmed: 0, lost: 0 };
    const here = ids.filter((id) => present.has(id));
    const gone = ids.filter((id) => !present.has(id));
    let confirmed = 0;
    let lost = 0;
    if (here.length) {
      confirmed = await this.prisma.$executeRaw`
        UPDATE upload_outbox SET status = 'confirmed', confirmed_at = now()
        WHERE item_id = ANY(${here}::text[]) AND status = 'uploaded'`;
    }
    if (gone.length) {
      lost = await this.prisma.$executeRaw`
        UPDATE upload_outbox SET status = 'pending', bundle_id = NULL, next_attempt_at = now(),
               last_error = 'bundle ' || bundle_id || ' was mined but the gateway does not serve the item'
        WHERE item_id = ANY(${gone}::text[]) AND status = 'uploaded'
          AND uploaded_at < now() - make_interval(secs => ${this.options.indexGraceSeconds})`;
    }
    return { confirmed, lost };
  }

  /** Backlog by status, for metrics and admin views. */
  async backlog(): Promise<Record<'pending' | 'uploaded' | 'confirmed' | 'failed', number>> {
    const rows = await this.prisma.$queryRaw<{ status: string; count: bigint }[]>`SELECT status, count(*) AS count FROM upload_outbox GROUP BY status`;
    const get = (s: string) => Number(rows.find((r) => r.status === s)?.count ?? 0);
    return { pending: get('pending'), uploaded: get('uploaded'), confirmed: get('confirmed'), failed: get('failed') };
  }
}
