import type { Tag } from '@ao/core';

/**
 * How tags are kept in the `jsonb` tag columns (data_items.tags, processes.tags,
 * cron_registrations.tick_tags). ANS-104 tags are byte strings; the platform accepts any UTF-8
 * text in them, U+0000 included, but Postgres `jsonb` and `text` cannot hold U+0000. A tag without
 * it is stored as itself, `{name, value}`. A tag with it is stored as
 * `{name, value, "$ao-base64": [name, value]}`: `name` and `value` with U+0000 replaced by U+FFFD
 * (so jsonb queries on names and values, and readers that only look, keep working), and the exact
 * strings as base64 of their UTF-8 bytes, which `tagsFromStore` reads back. The column stays an
 * array of objects either way. The signed item's bytes (`data_items.raw`) stay the authority: the
 * CU, the SU's JSON and verification read tags from them.
 */
const EXACT_KEY = '$ao-base64';

function hasNul(s: string): boolean {
  return s.includes('\u0000');
}

/** The JSON text to store for a tag list (see the module doc). */
export function storableTags(tags: readonly Tag[]): string {
  if (!tags.some((t) => hasNul(t.name) || hasNul(t.value))) return JSON.stringify(tags);
  return JSON.stringify(
    tags.map((t) =>
      hasNul(t.name) || hasNul(t.value)
        ? {
            name: t.name.replaceAll('\u0000', '\uFFFD'),
            value: t.value.replaceAll('\u0000', '\uFFFD'),
            [EXACT_KEY]: [Buffer.from(t.name, 'utf8').toString('base64'), Buffer.from(t.value, 'utf8').toString('base64')],
          }
        : t,
    ),
  );
}

/** The exact tags a stored value (as the pg driver or Prisma parsed it) holds. */
export function tagsFromStore(stored: unknown): Tag[] {
  if (!Array.isArray(stored)) return [];
  return stored.map((t: Record<string, unknown>) => {
    const exact = t[EXACT_KEY];
    if (Array.isArray(exact) && typeof exact[0] === 'string' && typeof exact[1] === 'string') {
      return { name: Buffer.from(exact[0], 'base64').toString('utf8'), value: Buffer.from(exact[1], 'base64').toString('utf8') };
    }
    return { name: String(t.name), value: String(t.value) };
  });
}
