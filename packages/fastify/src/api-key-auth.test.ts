import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core';
import Fastify5, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type onRequestHookHandler,
} from 'fastify';
import Fastify4 from 'fastify4';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type AdapterHarness,
  describeAdapterCases,
  expectRejection,
  expectSuccess,
  type RunningApp,
  send,
} from '../../../test-support/adapter-cases.js';
import {
  describeLayeredCases,
  FORGED_KEY,
  type LayeredHarness,
} from '../../../test-support/layered-cases.js';
import { apiKeyAuth } from './api-key-auth.js';

type FastifyFactory = typeof Fastify5;

const versions: ReadonlyArray<[string, FastifyFactory]> = [
  ['fastify 5', Fastify5],
  ['fastify 4', Fastify4 as unknown as FastifyFactory],
];

async function listen(app: FastifyInstance): Promise<RunningApp> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

const showKey = async (request: FastifyRequest) => ({ keyId: request.apiKey?.id });

function harness(name: string, fastify: FastifyFactory): AdapterHarness {
  return {
    name,
    async start(keyward, { trustOneProxy }) {
      // Fastify 5 refuses hop counts (a numeric trustProxy trusts nobody); trust the proxy's address.
      const app = fastify({ trustProxy: trustOneProxy ? '127.0.0.1' : false });
      await app.register(apiKeyAuth, { keyward, scopes: ['items:read'] });
      app.get('/open', { config: { apiKey: false } }, async () => 'open');
      app.get('/read', showKey);
      app.get('/admin', { config: { apiKey: { scopes: ['items:admin'] } } }, showKey);
      return listen(app);
    },
  };
}

/**
 * Layering in Fastify: a registration in a parent context and one in each route's child
 * context (the child's hook runs first).
 */
function layered(name: string, fastify: FastifyFactory): LayeredHarness {
  return {
    name,
    innerFirst: true,
    async start(keyward, other) {
      const app = fastify();
      const child = (
        parent: FastifyInstance,
        path: string,
        options: Parameters<typeof apiKeyAuth>[1],
      ) =>
        parent.register(async (scope) => {
          await scope.register(apiKeyAuth, options);
          scope.get(path, showKey);
        });
      await app.register(
        async (api) => {
          await api.register(apiKeyAuth, { keyward });
          await child(api, '/read', { keyward, scopes: ['items:read'] });
          await child(api, '/admin', { keyward, scopes: ['items:admin'] });
          await child(api, '/any', { keyward, anyScopes: ['items:admin', 'items:read'] });
          await child(api, '/costly', { keyward, cost: 3 });
          await child(api, '/other', { keyward: other });
        },
        { prefix: '/api' },
      );
      await app.register(
        async (paid) => {
          await paid.register(apiKeyAuth, { keyward, cost: 2 });
          await child(paid, '/read', { keyward, scopes: ['items:read'] });
          await child(paid, '/costly', { keyward, cost: 3 });
        },
        { prefix: '/paid' },
      );
      await app.register(async (spoofed) => {
        spoofed.addHook('onRequest', (request, _reply, done) => {
          request.apiKey = FORGED_KEY;
          done();
        });
        await spoofed.register(apiKeyAuth, { keyward, scopes: ['items:admin'] });
        spoofed.get('/spoofed', showKey);
      });
      return listen(app);
    },
  };
}

const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore(), failedAttempts: false });
let readKey: { key: string; id: string };
let adminKey: { key: string; id: string };
let bearer: Record<string, string>;
beforeAll(async () => {
  const read = await keyward.create({ name: 'read', scopes: ['items:read'] });
  readKey = { key: read.key, id: read.record.id };
  bearer = { authorization: `Bearer ${read.key}` };
  const admin = await keyward.create({ name: 'admin', scopes: ['items:admin'] });
  adminKey = { key: admin.key, id: admin.record.id };
});

let running: RunningApp | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** An error handler that shows which error reached it, by its `code`. */
function reportErrors(app: FastifyInstance): void {
  app.setErrorHandler((error, _request, reply) => {
    reply.code(500).send({ error: (error as { code?: string }).code ?? 'unknown' });
  });
}

for (const [name, fastify] of versions) {
  describeAdapterCases(harness(name, fastify));
  describeLayeredCases(layered(name, fastify));

  describe(`${name}: plugin behaviour`, () => {
    it('protects only the routes of the context it is registered in (and its children)', async () => {
      const app = fastify();
      app.get('/before', async () => 'open');
      await app.register(async (child) => {
        await child.register(apiKeyAuth, { keyward });
        child.get('/private', showKey);
        await child.register(async (grandchild) => {
          grandchild.get('/private/nested', showKey);
        });
      });
      await app.register(async (sibling) => {
        sibling.get('/sibling', async () => 'open');
      });
      app.get('/after', async () => 'open');
      running = await listen(app);
      for (const path of ['/before', '/sibling', '/after']) {
        expect({ path, status: (await send(`${running.url}${path}`)).status }).toEqual({
          path,
          status: 200,
        });
      }
      for (const path of ['/private', '/private/nested']) {
        expectRejection(await send(`${running.url}${path}`), 'missing_key', 401);
        expectSuccess(await send(`${running.url}${path}`, bearer), readKey.id);
      }
    });

    it('leaves routes with config.apiKey false open and applies route-level scopes', async () => {
      const app = fastify();
      await app.register(apiKeyAuth, { keyward, anyScopes: ['items:read', 'items:admin'] });
      app.get('/health', { config: { apiKey: false } }, async () => 'ok');
      app.get('/any', showKey);
      app.get('/admin', { config: { apiKey: { scopes: ['items:admin'] } } }, showKey);
      app.get('/costly', { config: { apiKey: { cost: 2 } } }, showKey);
      running = await listen(app);
      expect((await send(`${running.url}/health`)).status).toBe(200);
      expectSuccess(await send(`${running.url}/any`, bearer), readKey.id);
      expectSuccess(await send(`${running.url}/any`, { 'x-api-key': adminKey.key }), adminKey.id);
      expectRejection(await send(`${running.url}/admin`, bearer), 'insufficient_scope', 403);
      expectSuccess(await send(`${running.url}/admin`, { 'x-api-key': adminKey.key }), adminKey.id);
      expectSuccess(await send(`${running.url}/costly`, bearer), readKey.id);
    });

    it('authenticates in onRequest, before the body is parsed, and guards HEAD too', async () => {
      const app = fastify();
      await app.register(apiKeyAuth, { keyward });
      app.post('/items', async () => 'created');
      app.get('/items', async () => 'listed');
      running = await listen(app);
      const url = `${running.url}/items`;
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = httpRequest(url, {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json' },
        });
        req.on('error', reject);
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.end('{"not json');
      });
      expect(status).toBe(401);
      const head = await fetch(`${running.url}/items`, { method: 'HEAD' });
      expect(head.status).toBe(401);
    });

    it('throws on bad plugin options at registration', async () => {
      const bad = [
        { keyward, scopes: ['not a scope'] },
        { keyward, anyScopes: ['items:*'] },
        { keyward, cost: 0 },
        { keyward, scope: ['items:read'] },
        { keyward, keyType: 'public' },
        { keyward, onReject: 'nope' },
        {},
      ];
      for (const options of bad) {
        const app = fastify();
        await expect(app.register(apiKeyAuth, options as never)).rejects.toThrow(TypeError);
        await app.close();
      }
    });

    it('throws on a bad route config when the route is added', async () => {
      const app = fastify();
      await app.register(apiKeyAuth, { keyward });
      expect(() =>
        app.get('/x', { config: { apiKey: { scopes: ['not a scope'] } } }, async () => 'x'),
      ).toThrow(TypeError);
      expect(() =>
        app.get('/z', { config: { apiKey: { scope: ['items:read'] } as never } }, async () => 'z'),
      ).toThrow(/config.apiKey of GET \/z: unknown option "scope"/);
      expect(() => app.get('/y', { config: { apiKey: 'yes' as never } }, async () => 'y')).toThrow(
        TypeError,
      );
      expect(() =>
        app.get('/z', { config: { apiKey: { scopes: ['items:read'] } } }, async () => 'z'),
      ).not.toThrow();
      await app.close();
    });

    it('fails closed when the plugin is registered without await: routes added right after are guarded', async () => {
      const app = fastify();
      // No await: Fastify loads the plugin only at ready(), after these routes were added.
      void app.register(apiKeyAuth, { keyward });
      app.get('/secret', showKey);
      app.get('/health', { config: { apiKey: false } }, async () => 'ok');
      app.get('/admin', { config: { apiKey: { scopes: ['items:admin'] } } }, showKey);
      running = await listen(app);
      expectRejection(await send(`${running.url}/secret`), 'missing_key', 401);
      expectSuccess(await send(`${running.url}/secret`, bearer), readKey.id);
      expect((await send(`${running.url}/health`)).status).toBe(200);
      expectRejection(await send(`${running.url}/admin`, bearer), 'insufficient_scope', 403);
      expectSuccess(await send(`${running.url}/admin`, { 'x-api-key': adminKey.key }), adminKey.id);
      // Unknown URLs stay 404s.
      expect((await send(`${running.url}/nowhere`)).status).toBe(404);
    });

    it('verifies a request once, on a route it saw and on one it did not (one token each)', async () => {
      const limited = await keyward.create({
        name: 'limited',
        scopes: ['items:read'],
        rateLimit: { capacity: 10, refillPerSecond: 0.001 },
      });
      const app = fastify();
      app.get('/before', showKey); // not seen by the plugin's onRoute: the fallback verifies it
      await app.register(apiKeyAuth, { keyward });
      app.get('/after', showKey); // seen: its own hook verifies it, the fallback only checks
      running = await listen(app);
      const remaining: string[] = [];
      for (const path of ['/after', '/after', '/before', '/before']) {
        const reply = await send(`${running.url}${path}`, { 'x-api-key': limited.key });
        expectSuccess(reply, limited.record.id);
        remaining.push(/;r=(\d+)/.exec(String(reply.headers['ratelimit']))?.[1] ?? '?');
      }
      expect(remaining).toEqual(['9', '8', '7', '6']);
    });

    it('guards a route of its context added before it, and reports a bad config there on use', async () => {
      const app = fastify();
      reportErrors(app);
      app.get('/early', showKey);
      app.get('/early-bad', { config: { apiKey: 'yes' as never } }, async () => 'x');
      await app.register(apiKeyAuth, { keyward });
      running = await listen(app);
      expectRejection(await send(`${running.url}/early`), 'missing_key', 401);
      expectSuccess(await send(`${running.url}/early`, bearer), readKey.id);
      // Added before the plugin's onRoute check existed: the error surfaces at its first request.
      const bad = await send(`${running.url}/early-bad`, bearer);
      expect({ status: bad.status, body: bad.json() }).toEqual({
        status: 500,
        body: { error: 'unknown' },
      });
    });

    it('runs an inner registration before an outer one, and guards children registered before it', async () => {
      const app = fastify();
      // A child context registered before the plugin is guarded too.
      await app.register(async (early) => {
        early.get('/early-child', showKey);
      });
      await app.register(apiKeyAuth, {
        keyward,
        onReject: (result, _request, reply) => reply.code(result.status).send({ by: 'outer' }),
      });
      await app.register(async (child) => {
        await child.register(apiKeyAuth, {
          keyward,
          scopes: ['items:admin'],
          onReject: (result, _request, reply) => reply.code(result.status).send({ by: 'inner' }),
        });
        child.get('/admin', showKey);
      });
      running = await listen(app);
      const early = await send(`${running.url}/early-child`);
      expect({ status: early.status, body: early.json() }).toEqual({
        status: 401,
        body: { by: 'outer' },
      });
      expectSuccess(await send(`${running.url}/early-child`, bearer), readKey.id);
      for (const headers of [{}, bearer]) {
        const reply = await send(`${running.url}/admin`, headers);
        expect({ status: reply.status, body: reply.json() }).toEqual({
          status: headers === bearer ? 403 : 401,
          body: { by: 'inner' },
        });
      }
      expectSuccess(await send(`${running.url}/admin`, { 'x-api-key': adminKey.key }), adminKey.id);
    });

    it('charges a route config cost once under two registrations of one keyward', async () => {
      const limited = await keyward.create({
        name: 'route cost',
        scopes: ['items:read'],
        rateLimit: { capacity: 20, refillPerSecond: 0.001 },
      });
      const app = fastify();
      await app.register(apiKeyAuth, { keyward });
      await app.register(async (child) => {
        await child.register(apiKeyAuth, { keyward, scopes: ['items:read'] });
        child.get('/report', { config: { apiKey: { cost: 3 } } }, showKey);
      });
      running = await listen(app);
      const reply = await send(`${running.url}/report`, { 'x-api-key': limited.key });
      expectSuccess(reply, limited.record.id);
      expect(reply.headers['ratelimit']).toMatch(/^"key";r=17;/);
    });

    it("charges the outer registration's own cost on top of a route's, as without one", async () => {
      const limited = await keyward.create({
        name: 'two costs',
        scopes: ['items:read'],
        rateLimit: { capacity: 20, refillPerSecond: 0.001 },
      });
      const app = fastify();
      await app.register(apiKeyAuth, { keyward, cost: 2 });
      await app.register(async (child) => {
        await child.register(apiKeyAuth, { keyward, scopes: ['items:read'] });
        child.get('/report', { config: { apiKey: { cost: 3 } } }, showKey);
        child.get('/plain', showKey);
      });
      running = await listen(app);
      // The route's cost 3, and the outer registration's own 2 once more.
      const report = await send(`${running.url}/report`, { 'x-api-key': limited.key });
      expectSuccess(report, limited.record.id);
      expect(report.headers['ratelimit']).toMatch(/^"key";r=15;/);
      // Without a route cost: the outer registration's 2 replaces the default 1.
      const plain = await send(`${running.url}/plain`, { 'x-api-key': limited.key });
      expectSuccess(plain, limited.record.id);
      expect(plain.headers['ratelimit']).toMatch(/^"key";r=13;/);
    });

    it('can be registered again in a child context with stricter defaults', async () => {
      const app = fastify();
      await app.register(apiKeyAuth, { keyward });
      app.get('/me', showKey);
      await app.register(async (child) => {
        await child.register(apiKeyAuth, { keyward, scopes: ['items:admin'] });
        child.get('/admin', showKey);
      });
      running = await listen(app);
      expectSuccess(await send(`${running.url}/me`, bearer), readKey.id);
      expectRejection(await send(`${running.url}/admin`, bearer), 'insufficient_scope', 403);
      expectSuccess(await send(`${running.url}/admin`, { 'x-api-key': adminKey.key }), adminKey.id);
    });

    it('lets onReject send its own reply, or throw into the error handler', async () => {
      const app = fastify();
      reportErrors(app);
      await app.register(async (child) => {
        await child.register(apiKeyAuth, {
          keyward,
          onReject: (result, _request, reply) =>
            reply.code(result.status).headers(result.headers).send({ error: result.code }),
        });
        child.get('/shaped', showKey);
      });
      await app.register(async (child) => {
        await child.register(apiKeyAuth, {
          keyward,
          onReject: (result) => {
            throw Object.assign(new Error('x'), { code: `thrown ${result.code}` });
          },
        });
        child.get('/thrown', showKey);
      });
      await app.register(async (child) => {
        await child.register(apiKeyAuth, {
          keyward,
          onReject: async (result) => {
            throw Object.assign(new Error('y'), { code: `rejected ${result.code}` });
          },
        });
        child.get('/rejected', showKey);
      });
      running = await listen(app);
      const shaped = await send(`${running.url}/shaped`);
      expect({ status: shaped.status, body: shaped.json() }).toEqual({
        status: 401,
        body: { error: 'missing_key' },
      });
      expect(shaped.headers['www-authenticate']).toMatch(/^Bearer realm=/);
      expect((await send(`${running.url}/thrown`)).json()).toEqual({
        error: 'thrown missing_key',
      });
      expect((await send(`${running.url}/rejected`)).json()).toEqual({
        error: 'rejected missing_key',
      });
    });

    it('sends the default problem response when onReject sends nothing, sync or async', async () => {
      const app = fastify();
      const quiet: Array<[string, (r: unknown, q: unknown, reply: FastifyReply) => unknown]> = [
        ['/sync', () => undefined],
        ['/async', async () => undefined],
        ['/code-only', (_r, _q, reply) => reply.code(418)],
        ['/later', () => new Promise((resolve) => setTimeout(resolve, 20))],
      ];
      for (const [path, onReject] of quiet) {
        await app.register(async (child) => {
          await child.register(apiKeyAuth, { keyward, scopes: ['items:admin'], onReject });
          child.get(path, showKey);
        });
      }
      running = await listen(app);
      for (const [path] of quiet) {
        expectRejection(await send(`${running.url}${path}`), 'missing_key', 401);
        expectRejection(await send(`${running.url}${path}`, bearer), 'insufficient_scope', 403);
      }
    });

    it('keeps what onReject sent, also when an onSend hook holds the reply back', async () => {
      const app = fastify();
      app.addHook('onSend', async (_request, _reply, payload) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        return payload;
      });
      const custom = (result: { status: number }, reply: FastifyReply) =>
        reply.code(result.status).send({ by: 'onReject' });
      await app.register(async (child) => {
        await child.register(apiKeyAuth, {
          keyward,
          onReject: (result, _request, reply) => {
            custom(result, reply);
          },
        });
        child.get('/sync', showKey);
      });
      await app.register(async (child) => {
        await child.register(apiKeyAuth, {
          keyward,
          onReject: async (result, _request, reply) => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            custom(result, reply);
          },
        });
        child.get('/async', showKey);
      });
      running = await listen(app);
      for (const path of ['/sync', '/async']) {
        const reply = await send(`${running.url}${path}`);
        expect({ path, status: reply.status, body: reply.json() }).toEqual({
          path,
          status: 401,
          body: { by: 'onReject' },
        });
      }
    });

    it('hands a rejected verify Promise to the error handler', async () => {
      const failure = Object.assign(new Error('verify broke'), { code: 'verify_broke' });
      const broken = {
        verify: () => Promise.reject(failure),
        verifyOnce: () => Promise.reject(failure),
        checkVerifyOptions: () => undefined,
      } as unknown as Keyward;
      const app = fastify();
      reportErrors(app);
      await app.register(apiKeyAuth, { keyward: broken });
      app.get('/', async () => 'unreachable');
      running = await listen(app);
      const reply = await send(`${running.url}/`);
      expect({ status: reply.status, body: reply.json() }).toEqual({
        status: 500,
        body: { error: 'verify_broke' },
      });
    });

    it('calls done before returning, with no Promise, when verify answers synchronously', async () => {
      const app = fastify();
      await app.register(apiKeyAuth, { keyward });
      let hooks: unknown;
      app.addHook('onRoute', (route) => {
        hooks = route.onRequest;
      });
      app.get('/', async () => 'x');
      const [hook] = hooks as onRequestHookHandler[];
      const request = {
        headers: bearer,
        raw: { rawHeaders: ['Authorization', bearer['authorization']] },
        ip: '127.0.0.1',
        method: 'GET',
        url: '/',
      } as unknown as FastifyRequest;
      const reply = { header: vi.fn() } as unknown as FastifyReply;
      const done = vi.fn();
      const returned = hook!.call(app, request, reply, done);
      expect(returned).toBeUndefined();
      expect(done).toHaveBeenCalledTimes(1);
      expect(done).toHaveBeenCalledWith();
      expect(request.apiKey?.id).toBe(readKey.id);
      await app.close();
    });
  });
}
