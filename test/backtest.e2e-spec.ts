import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { until } from './support/until.js';
import { lastLine, runVerifyCli } from './support/verify-helpers.js';
import expected from '../libs/agents/src/market/fixtures/backtest-expected.json' with { type: 'json' };

// npm run backtest on the real pipeline: the hand-checked series through a signed-message oracle
// and a paper market maker, the report equal to the hand-checked one, and both processes
// reproduced from the gateway by npm run verify.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = 'libs/agents/src/market/fixtures';

function runBacktestCli(args: string[], timeoutMs = 240_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/backtest.js', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run backtest end to end', () => {
  let t: TestEnv;
  let platform: TestPlatform;

  beforeAll(async () => {
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '60000' });
    platform = await startTestPlatform(t.env, { listen: true });
  }, 120_000);

  afterAll(async () => {
    await platform?.close();
    await t?.cleanup();
  });

  it('reports the hand-checked fills and PnL, and the run verifies from the gateway', async () => {
    const run = await runBacktestCli([`${FIXTURES}/backtest-config.json`, `${FIXTURES}/backtest-series.csv`, '--url', platform.url!, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.prices).toBe(6);
    expect(report.fills.map((f: Record<string, unknown>) => ({ side: f.side, price: f.price, quantity: f.quantity, fee: f.fee, feeToken: f.feeToken, timestamp: f.timestamp }))).toEqual(expected.fills);
    expect(report.pnl).toMatchObject(expected.pnl);
    expect(report.inventory).toMatchObject(expected.inventory);
    const text = await runBacktestCli([`${FIXTURES}/backtest-config.json`, `${FIXTURES}/backtest-series.csv`, '--url', platform.url!]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/pnl at 100\.000000: hold 10000\.000000, trade 0\.889000, fees 0\.198889, total 0\.690111/);
    expect(text.stdout).toMatch(/max drawdown \d+\.\d{6}/);
    for (const id of [report.oracle, report.agent]) {
      await until(`the uploads of ${id}`, async () => {
        const u = (await platform.http().get(`/su/processes/${id}`).expect(200)).body.uploads;
        return (u.pending === 0 && u.uploaded === 0 && u.failed === 0) || undefined;
      }, 180_000, 1000);
      const cli = await runVerifyCli([id, '--gateway', inject('arweaveUrl'), '--cu', `${platform.url}/cu`], 300_000);
      expect(cli.code, `${cli.stderr}\n${cli.stdout}`).toBe(0);
      expect(lastLine(cli.stdout)).toMatch(new RegExp(`^verified ${id}: \\d+ messages, state [0-9a-f]{64}$`));
    }
  }, 900_000);

  it('refuses a bad config with the reasons and a non-zero exit', async () => {
    const run = await runBacktestCli([`${FIXTURES}/backtest-series.csv`, `${FIXTURES}/backtest-series.csv`, '--url', platform.url!]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: /m);
  }, 60_000);
});
