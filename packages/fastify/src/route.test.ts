import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { describe, expect, it } from 'vitest';
import { recordedRoutes, usageKeyward } from '../../../test-support/usage-routes.js';
import { apiKeyAuth } from './api-key-auth.js';

describe.each([
  ['fastify 5', fastify5],
  ['fastify 4', fastify4 as unknown as typeof fastify5],
])('%s: the route usage is grouped by', (_name, Fastify) => {
  it('is the route’s URL template with its prefix, never the URL — also for a route the plugin did not see', async () => {
    const { keyward, key, keyId } = await usageKeyward();
    const app = Fastify();
    app.get('/early/:id', async () => 'ok');
    // Not awaited: /early was added before the plugin, so the fallback hook guards it.
    app.register(apiKeyAuth, { keyward });
    app.register(
      async (api) => {
        api.get('/invoices/:id', async () => 'ok');
        api.route({ method: ['GET', 'POST'], url: '/reports', handler: async () => 'ok' });
      },
      { prefix: '/api' },
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const headers = { authorization: `Bearer ${key}` };
      for (const [method, path] of [
        ['GET', '/api/invoices/42?x=1'],
        ['GET', '/api/invoices/43'],
        ['POST', '/api/reports'],
        ['GET', '/api/reports'],
        ['GET', '/early/5'],
      ] as const) {
        expect((await fetch(`${base}${path}`, { method, headers })).status).toBe(200);
      }
      expect(await recordedRoutes(keyward, keyId)).toEqual({
        'GET /api/invoices/:id': 2,
        'POST /api/reports': 1,
        'GET /api/reports': 1,
        'GET /early/:id': 1,
      });
    } finally {
      await app.close();
      await keyward.close();
    }
  });
});
