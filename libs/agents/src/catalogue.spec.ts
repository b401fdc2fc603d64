import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BlueprintConfigError, parseConfig, sourceSha256 } from './blueprint.js';
import { blueprints, catalogue, findBlueprint } from './catalogue.js';

// The lock records each blueprint's version with the hash of its source. A source change without a
// version bump fails here; bump the version and update the lock (a running agent keeps the version
// it was spawned with: its boot code is in its Process item).
const lock = JSON.parse(readFileSync(new URL('../blueprints.lock.json', import.meta.url), 'utf8')) as Record<string, { version: string; sourceSha256: string }>;

describe('blueprint catalogue', () => {
  it('names are unique and every blueprint is in the lock with its current source hash', () => {
    const names = blueprints.map((b) => b.name);
    expect(new Set(names).size).toBe(names.length);
    for (const b of blueprints) {
      const entry = lock[b.name];
      expect(entry, `${b.name} missing from blueprints.lock.json`).toBeDefined();
      const hash = sourceSha256(b.source);
      if (entry.sourceSha256 !== hash) {
        expect(b.version, `${b.name}'s source changed: bump its version and update blueprints.lock.json`).not.toBe(entry.version);
      } else {
        expect(b.version).toBe(entry.version);
      }
    }
    expect(Object.keys(lock).sort()).toEqual([...names].sort());
  });

  it('describes each blueprint with a JSON schema, hot keys, defaults, topics and actions', () => {
    const info = catalogue().find((b) => b.name === 'token')!;
    expect(info.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(info.configSchema).toMatchObject({ type: 'object', additionalProperties: false });
    const props = info.configSchema.properties as Record<string, { description?: string; hot?: boolean }>;
    expect(props.denomination).toMatchObject({ type: 'integer', minimum: 0, maximum: 255, hot: false });
    expect(props.denomination.description).toMatch(/Decimal places/);
    expect(info.actions.map((a) => a.name)).toContain('Transfer');
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
  });

  it('parseConfig names the field and the rule of each failure', () => {
    const token = findBlueprint('token')!;
    try {
      parseConfig(token, { denomination: -1, balances: { a: '1.5' }, colour: 'red' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BlueprintConfigError);
      const paths = (err as BlueprintConfigError).issues.map((i) => i.path).sort();
      expect(paths).toEqual(['', 'balances.a', 'denomination']);
    }
  });
});
