import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Env } from '@ao/infra';
import { AppModule } from './app.module.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';

/** Builds the API application (used by main.ts and by the e2e tests), not yet listening. */
export async function createApiApp(env: Env, options: { logger?: false } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(env), {
    bodyParser: false,
    ...(options.logger === false ? { logger: false } : { logger: loggerLevels(env.LOG_LEVEL) }),
  });
  app.disable('x-powered-by');
  // Signed data items arrive raw; their size limit is the protocol's, JSON bodies stay small.
  app.useBodyParser('raw', { type: ['application/octet-stream', 'application/x-ans104'], limit: env.MAX_ITEM_BYTES });
  app.useBodyParser('json', { limit: '1mb' });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new AllExceptionsFilter(env.EXPOSE_ERRORS));

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('ao platform')
      .setDescription('ao units (MU /mu, CU /cu, SU /su, wire-compatible with the ao reference) and the agent platform API')
      .setVersion('0.1.0')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });
  return app;
}

function loggerLevels(level: Env['LOG_LEVEL']) {
  const order = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
  return order.slice(0, order.indexOf(level) + 1) as unknown as ('error' | 'warn' | 'log' | 'debug' | 'verbose')[];
}
