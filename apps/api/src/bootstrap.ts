import { ValidationPipe, type INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Env } from '@ao/infra';
import { AppModule } from './app.module.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { validationError } from './common/validation-error.js';
import { resultAnswer } from './cu/cu.controller.js';
import { CuService } from './cu/cu.service.js';
import { IngressFastPath } from './ingress/ingress-fast-path.js';
import { MuController } from './mu/mu.controller.js';
import { SuController } from './su/su.controller.js';
import { DashboardStatic, dashboardDir } from './web/dashboard-static.js';

/** The media types a signed data item arrives as (the raw body parser's and the ingress fast path's). */
const RAW_ITEM_TYPES = ['application/octet-stream', 'application/x-ans104'];

/** Builds the API application (used by main.ts and by the e2e tests), not yet listening. */
export async function createApiApp(env: Env, options: { logger?: false } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(env), {
    bodyParser: false,
    ...(options.logger === false ? { logger: false } : { logger: loggerLevels(env.LOG_LEVEL) }),
  });
  app.disable('x-powered-by');
  // Signed data items arrive raw; their size limit is the protocol's, JSON bodies stay small.
  app.useBodyParser('raw', { type: RAW_ITEM_TYPES, limit: env.MAX_ITEM_BYTES });
  app.useBodyParser('json', { limit: '1mb' });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, exceptionFactory: validationError }));
  app.set('trust proxy', env.TRUST_PROXY);
  app.useGlobalFilters(new AllExceptionsFilter(env.EXPOSE_ERRORS));
  installIngressFastPath(app, env);
  keepConnectionsOpen(app.getHttpServer() as Server);
  // The dashboard at / (before Nest's routes, which it never shadows: see API_PREFIXES).
  const web = dashboardDir(env.WEB_DIR);
  if (web) app.use(new DashboardStatic(web).middleware);

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('ao platform')
      .setDescription('ao units (MU /mu, CU /cu, SU /su, wire-compatible with the ao reference) and the agent platform API')
      .setVersion('0.1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key (`aok_...`) or, break-glass, ADMIN_TOKEN' })
      .addCookieAuth('ao_session', { type: 'apiKey', in: 'cookie', name: 'ao_session', description: 'Browser session from POST /api/auth/login; changes also need X-CSRF-Token' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });
  return app;
}

/**
 * POST /su/ and POST /mu/ with a raw item, and GET /cu/result/{id}?process-id={id}, skip express and
 * Nest's per-request machinery (see IngressFastPath).
 */
function installIngressFastPath(app: INestApplication, env: Env): void {
  const su = app.get(SuController);
  const mu = app.get(MuController);
  const cu = app.get(CuService);
  const suRoute = { status: 200, handle: (body: Buffer) => su.post(body, {}) };
  const muRoute = { status: 202, handle: (body: Buffer) => mu.post(body, {}) };
  new IngressFastPath({
    routes: { '/su': suRoute, '/su/': suRoute, '/mu': muRoute, '/mu/': muRoute },
    reads: [
      {
        url: /^\/cu\/result\/([A-Za-z0-9_-]{43})\?process-id=([A-Za-z0-9_-]{43})$/,
        handle: async ([, messageId, processId]) => resultAnswer(await cu.result(processId, messageId)),
      },
    ],
    maxBytes: env.MAX_ITEM_BYTES,
    rawTypes: RAW_ITEM_TYPES,
    exposeErrors: env.EXPOSE_ERRORS,
  }).install(app.getHttpServer());
}

/**
 * Node closes an idle kept-alive connection after 5 s, which races clients that reuse connections
 * for longer (a request sent as the server closes fails with "other side closed"). Clients and
 * proxies commonly keep them up to 60 s, so the server keeps them longer than that; the header
 * timeout must exceed the keep-alive one.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

function keepConnectionsOpen(server: Server): void {
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
}

function loggerLevels(level: Env['LOG_LEVEL']) {
  const order = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
  return order.slice(0, order.indexOf(level) + 1) as unknown as ('error' | 'warn' | 'log' | 'debug' | 'verbose')[];
}
