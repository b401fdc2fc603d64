import { hash } from 'node:crypto';
import { SIG_CONFIG, createData, type Signer } from 'arbundles';
import { AoError } from '../errors.js';
import { deepHashSync } from '../data-item/deep-hash.js';
import type { ItemSigner } from '../data-item/signers.js';
import type { Tag } from '../types.js';
import type { StoredAssignment } from './ports.js';

const sha384 = (...parts: Uint8Array[]): Buffer => hash('sha384', Buffer.concat(parts), 'buffer');
const EMPTY = new Uint8Array(0);
const EMPTY_DIGEST = deepHashSync(EMPTY);

/**
 * Signs the SU's assignments: the same ANS-104 items as `createDataItem({ data: '', tags }, signer)`
 * (arbundles builds them; Ed25519 gives the same bytes), for a fraction of the CPU of the general
 * path, which the SU pays for every message it schedules:
 * - the signature data is a deep hash of ["dataitem", "1", type, owner, target, anchor, tags, data],
 *   and an assignment has no target, anchor or data, so everything but the tags is the same for
 *   every assignment of one signer: the running hash up to the tags is taken once;
 * - no content key (assignments are never deduped) and no re-parse of the item just built.
 */
export class AssignmentSigner {
  private readonly adapted: Signer;
  /** The deep hash's running value after the elements before the tags. */
  private readonly beforeTags: Buffer;

  constructor(private readonly signer: ItemSigner) {
    const config = SIG_CONFIG[signer.signatureType];
    if (!config || signer.publicKey.length !== config.pubLength) {
      throw new AoError('INVALID_REQUEST', `Not a usable signer for assignments (type ${String(signer.signatureType)})`);
    }
    this.adapted = {
      signatureType: signer.signatureType,
      signatureLength: config.sigLength,
      ownerLength: config.pubLength,
      publicKey: signer.publicKey,
      sign: () => Promise.reject(new Error('assignments are signed by AssignmentSigner')),
    };
    const text = (s: string) => Buffer.from(s, 'utf8');
    // deepHashSync's list fold: sha384("list<n>"), then sha384(running ‖ deep hash of each element).
    let running = sha384(text('list8'));
    for (const element of [text('dataitem'), text('1'), text(String(signer.signatureType)), signer.publicKey, EMPTY, EMPTY]) {
      running = sha384(running, deepHashSync(element));
    }
    this.beforeTags = running;
  }

  /** An assignment item with these tags (and no data, target or anchor), signed. */
  async sign(tags: Tag[]): Promise<StoredAssignment> {
    const item = createData('', this.adapted, { tags });
    const signatureData = sha384(sha384(this.beforeTags, deepHashSync(item.rawTags)), EMPTY_DIGEST);
    let signature: Buffer;
    try {
      signature = Buffer.from(await this.signer.sign(signatureData));
    } catch (error) {
      throw new AoError('INTERNAL', `Signing failed: ${(error as Error).message}`, { signatureType: this.signer.signatureType }, 'transient');
    }
    if (signature.length !== this.adapted.signatureLength) {
      throw new AoError('INTERNAL', `Signer returned ${signature.length} bytes, type ${this.signer.signatureType} needs ${this.adapted.signatureLength}`);
    }
    await item.setSignature(signature);
    return { id: hash('sha256', signature, 'base64url'), raw: item.getRaw() };
  }
}
