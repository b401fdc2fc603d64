import { Agent, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/** GET on a kept-alive agent; answers the status and the socket it went over. */
function get(agent: Agent, port: number, path: string): Promise<{ status: number; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket as Socket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP keep-alive', () => {
  let t: TestEnv;
  let api: INestApplication;
  let port: number;

  beforeAll(async () => {
    t = await createTestEnv();
    api = await createApiApp(t.env, { logger: false });
    await api.listen(0, '127.0.0.1');
    port = (api.getHttpServer().address() as AddressInfo).port;
  });

  afterAll(async () => {
    await api?.close();
    await t?.cleanup();
  });

  it('keeps an idle connection past the 5 s clients commonly reuse it after: a request after 6 s idle goes over the same socket', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(agent, port, '/su/');
      expect(first.status).toBe(200);
      // Idle on purpose: Node's default server keep-alive (5 s) closes the socket meanwhile.
      await new Promise((r) => setTimeout(r, 6_000));
      const second = await get(agent, port, '/su/');
      expect(second.status).toBe(200);
      expect(second.socket).toBe(first.socket);
    } finally {
      agent.destroy();
    }
  });
});
