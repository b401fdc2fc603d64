import { createHash } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { newUser, processItem } from './items.js';
import { startTestPlatform, type TestPlatform } from './platform.js';
import { createTestEnv, type TestEnv } from './test-env.js';

/**
 * A process for the backstop's tests: `Hang` runs until the wall-clock backstop stops it, `Get`
 * answers at once. Gas meters C loops such as a backtracking pattern (docs/limits.md), which end
 * out of gas, but not the work inside one VM instruction: comparing two distinct 32 MiB strings is
 * one instruction and a 32 MiB memcmp, so the `Hang` loop runs until the backstop.
 */
export const RUNAWAY_CODE = `
Handlers.add("Hang", "Hang", function(msg)
  local a, b = string.rep("a", 2^25), string.rep("a", 2^25)
  while true do if a == b then N = N end end
end)
Handlers.add("Get", "Get", function(msg) msg.reply({ Data = "alive " .. ao.id }) end)
`;

/** The API evaluation thread a process's dry-runs go to first, of `threads`. */
export const apiThreadOf = (pid: string, threads: number) => createHash('sha256').update(pid).digest().readUInt32BE(0) % threads;

/**
 * A platform for the dry-run backstop specs (registered with the suite's beforeAll/afterAll):
 * `threads` API evaluation threads, a wall-clock backstop of `wallMs`. `spawn` boots a
 * RUNAWAY_CODE process and waits for its boot result; `dryRun` sends it an Action as its owner.
 */
export function runawayPlatform({ threads, wallMs }: { threads: number; wallMs: number }) {
  let t: TestEnv;
  let platform: TestPlatform;
  const owner: ItemSigner = newUser();
  const http = () => platform.http();

  beforeAll(async () => {
    t = await createTestEnv({ API_CU_THREADS: String(threads), CU_WALL_TIMEOUT_MS: String(wallMs), RESULT_TIMEOUT_MS: '20000' });
    platform = await startTestPlatform(t.env);
  });

  afterAll(async () => {
    await platform?.close();
    await t?.cleanup();
  });

  return {
    http,
    platform: () => platform,
    threadOf: (pid: string) => apiThreadOf(pid, threads),
    dryRun: (pid: string, action: string) =>
      http().post('/cu/dry-run').query({ 'process-id': pid }).send({ Target: pid, Owner: owner.address, Tags: [{ name: 'Action', value: action }] }),
    async spawn(): Promise<string> {
      const info = (await http().get('/info').expect(200)).body;
      const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }], RUNAWAY_CODE, info.modules['lua-5.4-aos']);
      await http().post('/mu/').set('content-type', 'application/octet-stream').send(Buffer.from(p.raw)).expect(202);
      await http().get(`/cu/result/${p.id}`).query({ 'process-id': p.id }).expect(200);
      return p.id;
    },
  };
}
