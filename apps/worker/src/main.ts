import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { defaultMigrationsDir, exitGracefullyOnSignals, loadEnv, migrate } from '@ao/infra';
import { WorkerModule } from './worker.module.js';

const env = loadEnv();
await migrate(env.DATABASE_URL, defaultMigrationsDir());
const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(env), { logger: ['error', 'warn', 'log'] });
await app.init();
const logger = new Logger('worker');
exitGracefullyOnSignals(app, logger, env.SHUTDOWN_TIMEOUT_MS);
logger.log(`started (pid ${process.pid})`);
