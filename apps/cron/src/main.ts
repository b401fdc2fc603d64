import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { defaultMigrationsDir, loadEnv, migrate } from '@ao/infra';
import { CronModule } from './cron.module.js';

const env = loadEnv();
await migrate(env.DATABASE_URL, defaultMigrationsDir());
const app = await NestFactory.createApplicationContext(CronModule.forRoot(env), { logger: ['error', 'warn', 'log'] });
app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
await app.init();
new Logger('cron').log(`started (pid ${process.pid})`);
