import { AVSCTap } from 'arbundles';
import { AoError } from '../errors.js';
import type { Tag } from '../types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * arbundles' Avro tag reader with strict strings: its own `readString` decodes invalid UTF-8 lossily,
 * which would let two different signed byte strings read as the same tag.
 */
class StrictTagReader extends AVSCTap {
  protected override readString(): string {
    const length = this.readLong();
    const start = this.pos;
    const end = start + length;
    if (!Number.isSafeInteger(length) || length < 0 || end > this.buf.length) throw new Error('string out of range');
    this.pos = end;
    return utf8.decode(this.buf.subarray(start, end));
  }

  /** True when reading stopped exactly at the end of the block (no missing or trailing bytes). */
  get consumedExactly(): boolean {
    return this.pos === this.buf.length;
  }
}

/** Decodes an ANS-104 tag block (Avro array of {name, value}), rejecting truncated, trailing or non-UTF-8 bytes. */
export function decodeTags(block: Buffer): Tag[] {
  let tags: Tag[];
  const reader = new StrictTagReader(block);
  try {
    tags = reader.readTags();
  } catch (error) {
    throw new AoError('INVALID_TAGS', `Tags are not a valid ANS-104 tag block: ${(error as Error).message}`, {});
  }
  if (!reader.consumedExactly) throw new AoError('INVALID_TAGS', 'Tag block length does not match its content', {});
  return tags;
}
