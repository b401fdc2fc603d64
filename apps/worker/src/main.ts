import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { defaultMigrationsDir, loadEnv, migrate } from '@ao/infra';
import { WorkerModule } from './worker.module.js';

const env = loadEnv();
await migrate(env.DATABASE_URL, defaultMigrationsDir());
const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(env), { logger: ['error', 'warn', 'log'] });
app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
await app.init();
new Logger('worker').log(`started (pid ${process.pid})`);
