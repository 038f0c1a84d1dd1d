import { createKeyward, type Keyward, MemoryStore } from '@keyward/core';
import Koa3, { type Context, type Middleware, type Next } from 'koa';
import compose from 'koa-compose';
import Koa2 from 'koa2';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type AdapterHarness,
  describeAdapterCases,
  expectRejection,
  expectSuccess,
  listenOnLoopback,
  type RunningApp,
  send,
} from '../../../test-support/adapter-cases.js';
import {
  describeLayeredCases,
  FORGED_KEY,
  type LayeredHarness,
} from '../../../test-support/layered-cases.js';
import { apiKeyAuth } from './api-key-auth.js';

type KoaClass = typeof Koa3;

const versions: ReadonlyArray<[string, KoaClass]> = [
  ['koa 3', Koa3],
  ['koa 2', Koa2 as unknown as KoaClass],
];

/** Mounts a koa-compose chain on one exact path (the tests need no router package). */
function route(path: string, ...chain: Middleware[]): Middleware {
  const run = compose(chain);
  return (ctx, next) => (ctx.path === path ? run(ctx, next) : next());
}

const showKey: Middleware = (ctx) => {
  ctx.body = { keyId: ctx.state.apiKey?.id };
};

function createApp(Koa: KoaClass): Koa3 {
  const app = new Koa();
  app.silent = true;
  return app;
}

function harness(name: string, Koa: KoaClass): AdapterHarness {
  return {
    name,
    start(keyward, { trustOneProxy }) {
      const app = createApp(Koa);
      app.proxy = trustOneProxy;
      app.maxIpsCount = 1;
      app.use(
        route('/open', (ctx) => {
          ctx.body = 'open';
        }),
      );
      app.use(route('/read', apiKeyAuth(keyward, { scopes: ['items:read'] }), showKey));
      app.use(route('/admin', apiKeyAuth(keyward, { scopes: ['items:admin'] }), showKey));
      return listenOnLoopback(app.callback());
    },
  };
}

/** Runs `guard` for every path under `prefix` (what koa-mount or a router prefix does). */
function under(prefix: string, guard: Middleware): Middleware {
  return (ctx, next) => (ctx.path.startsWith(prefix) ? guard(ctx, next) : next());
}

/** The documented layering: `app.use(apiKeyAuth(keyward))` plus a guard in each route's chain. */
function layered(name: string, Koa: KoaClass): LayeredHarness {
  return {
    name,
    innerFirst: false,
    start(keyward, other) {
      const app = createApp(Koa);
      app.use(under('/api/', apiKeyAuth(keyward)));
      app.use(route('/api/read', apiKeyAuth(keyward, { scopes: ['items:read'] }), showKey));
      app.use(route('/api/admin', apiKeyAuth(keyward, { scopes: ['items:admin'] }), showKey));
      app.use(
        route(
          '/api/any',
          apiKeyAuth(keyward, { anyScopes: ['items:admin', 'items:read'] }),
          showKey,
        ),
      );
      app.use(route('/api/costly', apiKeyAuth(keyward, { cost: 3 }), showKey));
      app.use(route('/api/other', apiKeyAuth(other), showKey));
      app.use(under('/paid/', apiKeyAuth(keyward, { cost: 2 })));
      app.use(route('/paid/read', apiKeyAuth(keyward, { scopes: ['items:read'] }), showKey));
      app.use(route('/paid/costly', apiKeyAuth(keyward, { cost: 3 }), showKey));
      app.use(
        route(
          '/spoofed',
          (ctx, next) => {
            ctx.state.apiKey = FORGED_KEY;
            return next();
          },
          apiKeyAuth(keyward, { scopes: ['items:admin'] }),
          showKey,
        ),
      );
      return listenOnLoopback(app.callback());
    },
  };
}

const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore(), failedAttempts: false });
const asyncRecords = new MemoryStore();
/** Answers getKey with a Promise and caches nothing, so verify always takes the Promise path. */
const asyncKeyward = createKeyward({
  prefix: 'acme',
  keyStore: {
    getKey: async (id) => asyncRecords.getKey(id),
    insertKey: (record) => asyncRecords.insertKey(record),
    updateKey: (record, version) => asyncRecords.updateKey(record, version),
    listKeys: (query) => asyncRecords.listKeys(query),
  },
  limitStore: new MemoryStore(),
  cache: { max: 0 },
  failedAttempts: false,
});
let readKey: { key: string; id: string };
let bearer: Record<string, string>;
beforeAll(async () => {
  const { key, record } = await keyward.create({ name: 'read', scopes: ['items:read'] });
  readKey = { key, id: record.id };
  bearer = { authorization: `Bearer ${key}` };
});

let running: RunningApp | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** Upstream error handling that reports the error's status and `code` as JSON. */
const reportErrors: Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (error) {
    const { status, code } = error as { status?: number; code?: string };
    ctx.status = status ?? 500;
    ctx.body = { error: code ?? 'unknown' };
  }
};

for (const [name, Koa] of versions) {
  describeAdapterCases(harness(name, Koa));
  describeLayeredCases(layered(name, Koa));

  describe(`${name}: middleware behaviour`, () => {
    it('guards every later middleware with one app.use line', async () => {
      const app = createApp(Koa);
      app.use(
        route('/health', (ctx) => {
          ctx.body = 'ok';
        }),
      );
      app.use(apiKeyAuth(keyward));
      app.use(showKey);
      running = await listenOnLoopback(app.callback());
      expect((await send(`${running.url}/health`)).status).toBe(200);
      expectRejection(await send(`${running.url}/me`), 'missing_key', 401);
      expectSuccess(await send(`${running.url}/me`, bearer), readKey.id);
    });

    it('returns next()’s promise in a koa-compose chain, so slow downstream work completes', async () => {
      const app = createApp(Koa);
      const order: string[] = [];
      const chain = compose<Context>([
        async (ctx, next) => {
          await next();
          order.push('upstream after');
          ctx.set('x-upstream-saw', String(ctx.body && 'body'));
        },
        apiKeyAuth(keyward),
        async (ctx) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          order.push('downstream');
          ctx.body = { keyId: ctx.state.apiKey?.id };
        },
      ]);
      app.use(chain as Middleware);
      running = await listenOnLoopback(app.callback());
      const reply = await send(`${running.url}/`, bearer);
      expectSuccess(reply, readKey.id);
      expect(reply.headers['x-upstream-saw']).toBe('body');
      expect(order).toEqual(['downstream', 'upstream after']);
    });

    it('lets ctx.throw downstream reach upstream error handling, on both verify paths', async () => {
      const { key } = await asyncKeyward.create({ name: 'async', scopes: ['items:read'] });
      const app = createApp(Koa);
      const teapot = (ctx: Context) => ctx.throw(418, 'short and stout', { code: 'teapot' });
      app.use(reportErrors);
      app.use(route('/sync', apiKeyAuth(keyward), teapot));
      app.use(route('/async', apiKeyAuth(asyncKeyward), teapot));
      running = await listenOnLoopback(app.callback());
      for (const [path, headers] of [
        ['/sync', bearer],
        ['/async', { 'x-api-key': key }],
      ] as const) {
        const reply = await send(`${running.url}${path}`, headers);
        expect({ path, status: reply.status, body: reply.json() }).toEqual({
          path,
          status: 418,
          body: { error: 'teapot' },
        });
      }
      expectRejection(await send(`${running.url}/async`, bearer), 'invalid_key', 401);
    });

    it('lets ctx.throw without an upstream handler become Koa’s own error response', async () => {
      const app = createApp(Koa);
      app.use(apiKeyAuth(keyward));
      app.use((ctx) => ctx.throw(409));
      running = await listenOnLoopback(app.callback());
      expect((await send(`${running.url}/`, bearer)).status).toBe(409);
    });

    it('lets onReject shape the response, or throw into Koa’s error handling', async () => {
      const app = createApp(Koa);
      app.use(reportErrors);
      app.use(
        route(
          '/shaped',
          apiKeyAuth(keyward, {
            onReject: (result, ctx) => {
              ctx.status = result.status;
              ctx.set(result.headers);
              ctx.body = { error: result.code };
            },
          }),
        ),
      );
      app.use(
        route(
          '/thrown',
          apiKeyAuth(keyward, {
            scopes: ['items:admin'],
            onReject: (result, ctx) => ctx.throw(result.status, { code: result.code }),
          }),
        ),
      );
      running = await listenOnLoopback(app.callback());
      const shaped = await send(`${running.url}/shaped`);
      expect({ status: shaped.status, body: shaped.json() }).toEqual({
        status: 401,
        body: { error: 'missing_key' },
      });
      expect(shaped.headers['www-authenticate']).toMatch(/^Bearer realm=/);
      const thrown = await send(`${running.url}/thrown`, bearer);
      expect({ status: thrown.status, body: thrown.json() }).toEqual({
        status: 403,
        body: { error: 'insufficient_scope' },
      });
    });
  });
}

describe('apiKeyAuth (koa): construction and the synchronous path', () => {
  it('throws at construction on bad options', () => {
    expect(() => apiKeyAuth(keyward, { scopes: ['not a scope'] })).toThrow(TypeError);
    // A typo must never leave a route open: unknown names are refused, naming them.
    expect(() => apiKeyAuth(keyward, { scope: ['items:read'] } as never)).toThrow(/"scope"/);
    expect(() => apiKeyAuth(keyward, { keytype: 'secret' } as never)).toThrow(/"keytype"/);
    expect(() => apiKeyAuth(keyward, { keyType: 'public' } as never)).toThrow(TypeError);
    expect(() => apiKeyAuth(keyward, { keyType: 'publishable' })).not.toThrow();
    expect(() => apiKeyAuth(keyward, { anyScopes: ['items:*'] })).toThrow(TypeError);
    expect(() => apiKeyAuth(keyward, { cost: -1 })).toThrow(TypeError);
    expect(() => apiKeyAuth(keyward, { onReject: 42 as never })).toThrow(TypeError);
    expect(() => apiKeyAuth({} as Keyward)).toThrow(TypeError);
    expect(() => apiKeyAuth(keyward, { anyScopes: ['items:read'] })).not.toThrow();
  });

  it('returns next()’s own return value when verify answers synchronously', () => {
    const guard = apiKeyAuth(keyward, { scopes: ['items:read'] });
    const setHeader = vi.fn();
    const ctx = {
      req: {
        method: 'GET',
        headers: { authorization: `Bearer ${readKey.key}` },
        rawHeaders: ['Authorization', `Bearer ${readKey.key}`],
      },
      res: { headersSent: false, setHeader },
      ip: '127.0.0.1',
      method: 'GET',
      originalUrl: '/',
      state: {},
    } as unknown as Context;
    const downstream = Promise.resolve('downstream');
    const next = vi.fn(() => downstream) as unknown as Next;
    expect(guard(ctx, next)).toBe(downstream);
    expect(ctx.state.apiKey?.id).toBe(readKey.id);
  });

  it('sets the RateLimit headers on the response, and none once it has gone (as ctx.set does)', async () => {
    const { key } = await keyward.create({
      name: 'limited',
      scopes: ['items:read'],
      rateLimit: { capacity: 100, refillPerSecond: 1 },
    });
    const guard = apiKeyAuth(keyward, { scopes: ['items:read'] });
    const fakeContext = (res: object) =>
      ({
        req: {
          method: 'GET',
          headers: { authorization: `Bearer ${key}` },
          rawHeaders: ['Authorization', `Bearer ${key}`],
        },
        res,
        ip: '127.0.0.1',
        originalUrl: '/',
        state: {},
      }) as unknown as Context;
    const open = vi.fn();
    guard(fakeContext({ headersSent: false, setHeader: open }), vi.fn() as unknown as Next);
    expect(open).toHaveBeenCalledWith('ratelimit', '"key";r=99;t=0');
    expect(open).toHaveBeenCalledWith('ratelimit-policy', '"key";q=100;w=100');
    const setHeader = vi.fn(() => {
      throw new Error('ERR_HTTP_HEADERS_SENT');
    });
    const next = vi.fn(() => Promise.resolve()) as unknown as Next;
    expect(() => guard(fakeContext({ headersSent: true, setHeader }), next)).not.toThrow();
    expect(setHeader).not.toHaveBeenCalled();
    expect(next).toHaveBeenCalledOnce();
  });
});
