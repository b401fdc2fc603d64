import type { INestApplicationContext, LoggerService } from '@nestjs/common';

/**
 * Graceful stop on SIGTERM/SIGINT: close the app (workers stop taking jobs and finish the ones
 * they hold, connections close), then exit 0. If closing takes longer than `timeoutMs`, exit 1:
 * whatever was still running is then recovered by the stall checker, as after a crash.
 */
export function exitGracefullyOnSignals(app: INestApplicationContext, logger: LoggerService, timeoutMs: number): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: finishing in-flight work (at most ${timeoutMs} ms)`);
    const timer = setTimeout(() => {
      logger.warn?.(`still busy after ${timeoutMs} ms; exiting anyway`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    app.close().then(
      () => {
        logger.log('stopped cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(`shutdown failed: ${(error as Error)?.message ?? String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
