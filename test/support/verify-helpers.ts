import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ArweaveGateway } from '@ao/infra';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `npm run verify`'s entry (the built scripts/verify.js) as a child process. */
export function runVerifyCli(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/verify.js', ...args], { cwd: ROOT, env: { ...process.env, ARWEAVE_URL: '' } });
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

/** The last non-empty line of a text. */
export function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

/** Waits until the gateway indexes every id in a mined block (arlocal mines every 500 ms here). */
export async function waitMined(gateway: ArweaveGateway, ids: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = new Set(ids);
    for (let i = 0; i < ids.length; i += 100) {
      const data = await gateway.graphql<{ transactions: { edges: { node: { id: string; block: { height: number } | null } }[] } }>(
        'query($ids: [ID!]) { transactions(ids: $ids, first: 100) { edges { node { id block { height } } } } }',
        { ids: ids.slice(i, i + 100) },
      );
      for (const e of data.transactions.edges) if (e.node.block) pending.delete(e.node.id);
    }
    if (pending.size === 0) return;
    if (Date.now() > deadline) throw new Error(`${pending.size} of ${ids.length} items are not mined on the gateway`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
