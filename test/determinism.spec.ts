import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Replay {
  state: string;
  results: string;
  count: number;
  lines: string[];
}

const SCRIPT = new URL('./support/replay-log.mjs', import.meta.url).pathname;

/** Runs the replay script in a fresh Node process with its own V8 random seed, time zone and start time. */
function replayIn(out: string, seed: number, tz: string): Promise<Replay> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--random-seed=${seed}`, SCRIPT, out, '10000'], {
      env: { ...process.env, TZ: tz },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', async (code) => {
      if (code !== 0) return reject(new Error(`replay exited ${code}: ${stderr}`));
      resolve(JSON.parse(await readFile(out, 'utf8')) as Replay);
    });
  });
}

describe('determinism across Node processes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ao-determinism-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the same 10,000-message log gives the same state hash and byte-identical results in two fresh processes', async () => {
    // Different seeds, zones and (by starting one after the other) clocks: nothing of the host may leak in.
    const first = await replayIn(join(dir, 'a.json'), 1, 'UTC');
    const second = await replayIn(join(dir, 'b.json'), 987654321, 'Pacific/Chatham');
    expect(first.count).toBe(10_000);
    expect(first.lines).toHaveLength(10_000);
    // The log is not trivial: transfers succeed, notices go out, the mixer answers.
    expect(first.lines.filter((l) => l.includes('Debit-Notice')).length).toBeGreaterThan(3_000);
    expect(first.lines.filter((l) => l.includes('"Error"')).length).toBe(0);
    const firstDiff = first.lines.findIndex((line, i) => line !== second.lines[i]);
    expect(firstDiff, `first differing result at message ${firstDiff + 1}`).toBe(-1);
    expect(second.results).toBe(first.results);
    expect(second.state).toBe(first.state);
  }, 300_000);
});
