import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ArweaveGateway, isPortOpen, loadOrCreateWallet, startGatewayProcess, walletAddress } from '@ao/infra';

declare module 'vitest' {
  export interface ProvidedContext {
    arweaveUrl: string;
    walletDir: string;
  }
}

/**
 * Once per e2e run: a real Arweave gateway (arlocal in a child process, on its own port and data dir)
 * and one pair of wallets the tests share (RSA-4096 keygen takes a second, so not per test).
 * PostgreSQL and Redis are the machine's (.ci/run starts them when they are down).
 */
export default async function setup(project: TestProject) {
  for (const [name, port] of [['PostgreSQL', 5432], ['Redis', 6379]] as const) {
    if (!(await isPortOpen('127.0.0.1', port))) throw new Error(`${name} is not running on 127.0.0.1:${port}; see README (Tests).`);
  }
  // The browser tests' screenshots and traces (test/support/browser.ts) are this run's only.
  await rm(fileURLToPath(new URL('../../test-results/web/', import.meta.url)), { recursive: true, force: true });
  const root = await mkdtemp(join(tmpdir(), 'ao-e2e-'));
  let port = Number(process.env.TEST_ARLOCAL_PORT ?? 19840);
  while (await isPortOpen('127.0.0.1', port)) port += 1;
  const gateway = await startGatewayProcess({ port, dataDir: join(root, 'arlocal'), mineIntervalMs: 500 });
  const walletDir = join(root, 'wallets');
  const upload = await loadOrCreateWallet(join(walletDir, 'arweave-wallet.json'), 'arweave');
  await loadOrCreateWallet(join(walletDir, 'wallet.json'), 'ed25519');
  await new ArweaveGateway(gateway.url).mint(walletAddress(upload.jwk), String(10n ** 18n));
  project.provide('arweaveUrl', gateway.url);
  project.provide('walletDir', walletDir);
  return async () => {
    await gateway.stop();
    await rm(root, { recursive: true, force: true });
  };
}
