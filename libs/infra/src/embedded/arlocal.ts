import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import ArLocalModule from 'arlocal';

type ArLocalClass = new (port?: number, showLogs?: boolean, dbPath?: string, persist?: boolean) => {
  start(): Promise<void>;
  stop(): Promise<void>;
};

export interface EmbeddedGateway {
  url: string;
  stop(): Promise<void>;
}

/**
 * Runs arlocal in this process with its data under `dataDir`, mining a block every
 * `mineIntervalMs` so uploads confirm without anyone calling /mine.
 */
export async function startArlocal(options: {
  port: number;
  dataDir: string;
  mineIntervalMs: number;
  persist?: boolean;
}): Promise<EmbeddedGateway> {
  const dbPath = resolve(options.dataDir);
  await mkdir(dbPath, { recursive: true });
  // arlocal is CommonJS with a default export.
  const mod = ArLocalModule as unknown as { default?: ArLocalClass };
  const Ctor = mod.default ?? (ArLocalModule as unknown as ArLocalClass);
  const arlocal = new Ctor(options.port, false, dbPath, options.persist ?? true);
  await arlocal.start();
  const url = `http://127.0.0.1:${options.port}`;
  const timer = setInterval(() => {
    fetch(`${url}/mine`).catch(() => undefined);
  }, options.mineIntervalMs);
  timer.unref();
  return {
    url,
    async stop() {
      clearInterval(timer);
      await arlocal.stop();
    },
  };
}
