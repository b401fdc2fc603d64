import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { defaultMigrationsDir, exitGracefullyOnSignals, loadEnv, migrate } from '@ao/infra';
import { createApiApp } from './bootstrap.js';

const env = loadEnv();
await migrate(env.DATABASE_URL, defaultMigrationsDir());
const app = await createApiApp(env);
await app.listen(env.PORT, env.API_HOST);
const logger = new Logger('api');
exitGracefullyOnSignals(app, logger, env.SHUTDOWN_TIMEOUT_MS);
logger.log(`listening on ${env.API_HOST}:${env.PORT} (public URL ${env.PUBLIC_URL}, docs at /docs)`);
