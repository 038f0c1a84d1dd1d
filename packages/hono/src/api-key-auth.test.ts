import { getRequestListener } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core';
import { Hono } from 'hono';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdapterHarness,
  describeAdapterCases,
  expectRejection,
  expectSuccess,
  listenOnLoopback,
  type RunningApp,
  send,
} from '../../../test-support/adapter-cases.js';
import { describeLayeredCases } from '../../../test-support/layered-cases.js';
import { honoLayeredApp, honoTableApp } from '../../../test-support/runtimes/host.js';
import { apiKeyAuth } from './api-key-auth.js';

const harness: AdapterHarness = {
  name: 'hono on node',
  start: (keyward, { trustOneProxy }) =>
    listenOnLoopback(getRequestListener(honoTableApp(keyward, getConnInfo, trustOneProxy).fetch)),
};

describeAdapterCases(harness);
describeLayeredCases({
  name: 'hono on node',
  innerFirst: false,
  start: (keyward, other) =>
    listenOnLoopback(getRequestListener(honoLayeredApp(keyward, other).fetch)),
});

const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore(), failedAttempts: false });
let readKey: { key: string; id: string };
beforeAll(async () => {
  const { key, record } = await keyward.create({
    name: 'read',
    scopes: ['items:read'],
    rateLimit: { capacity: 5, refillPerSecond: 1 },
  });
  readKey = { key, id: record.id };
});

let running: RunningApp | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});
const serve = async (app: Hono) => {
  running = await listenOnLoopback(getRequestListener(app.fetch));
  return running.url;
};
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('apiKeyAuth (hono): middleware behaviour', () => {
  it('guards only the routes it is mounted on, with per-route requirements', async () => {
    const app = new Hono();
    app.get('/health', (c) => c.text('ok'));
    app.use('/api/*', apiKeyAuth(keyward));
    app.get('/api/me', (c) => c.json({ keyId: c.get('apiKey').id }));
    app.get('/api/admin', apiKeyAuth(keyward, { scopes: ['items:admin'] }), (c) => c.text('x'));
    const url = await serve(app);
    expect((await send(`${url}/health`)).status).toBe(200);
    expectRejection(await send(`${url}/api/me`), 'missing_key', 401);
    expectSuccess(await send(`${url}/api/me`, bearer(readKey.key)), readKey.id);
    expectRejection(await send(`${url}/api/admin`, bearer(readKey.key)), 'insufficient_scope', 403);
  });

  it('adds the rate-limit headers to the handler response, and keeps what the handler set', async () => {
    const app = new Hono();
    app.get('/a', apiKeyAuth(keyward), (c) => c.json({ keyId: c.get('apiKey').id }));
    app.get('/b', apiKeyAuth(keyward), (c) => {
      c.header('ratelimit', 'handler');
      return c.text('b');
    });
    app.get('/c', apiKeyAuth(keyward), () => new Response('raw'));
    const url = await serve(app);
    const a = await send(`${url}/a`, bearer(readKey.key));
    expect(a.headers['ratelimit']).toMatch(/^"key";r=\d+;t=\d+$/);
    expect(a.headers['ratelimit-policy']).toBe('"key";q=5;w=5');
    expect((await send(`${url}/b`, bearer(readKey.key))).headers['ratelimit']).toBe('handler');
    const c = await send(`${url}/c`, bearer(readKey.key));
    expect({ text: c.text, policy: c.headers['ratelimit-policy'] }).toEqual({
      text: 'raw',
      policy: '"key";q=5;w=5',
    });
  });

  it('refuses a key with an IP allow-list when no IP source is given (fails closed)', async () => {
    const { key } = await keyward.create({
      name: 'ip',
      scopes: ['items:read'],
      ips: ['127.0.0.1'],
    });
    const app = new Hono();
    app.get('/none', apiKeyAuth(keyward), (c) => c.text('x'));
    app.get('/conn', apiKeyAuth(keyward, { getConnInfo }), (c) => c.text('x'));
    app.get('/ip', apiKeyAuth(keyward, { ip: () => '127.0.0.1' }), (c) => c.text('x'));
    const url = await serve(app);
    expectRejection(await send(`${url}/none`, bearer(key)), 'ip_not_allowed', 403);
    expect((await send(`${url}/conn`, bearer(key))).status).toBe(200);
    expect((await send(`${url}/ip`, bearer(key))).status).toBe(200);
  });

  it('lets onReject shape the response', async () => {
    const app = new Hono();
    app.get(
      '/',
      apiKeyAuth(keyward, {
        scopes: ['items:admin'],
        onReject: (result, c) => c.json({ error: result.code }, 418, result.headers),
      }),
      (c) => c.text('unreachable'),
    );
    const url = await serve(app);
    const reply = await send(`${url}/`, bearer(readKey.key));
    expect({ status: reply.status, body: reply.json() }).toEqual({
      status: 418,
      body: { error: 'insufficient_scope' },
    });
    expect(reply.headers['www-authenticate']).toMatch(/insufficient_scope/);
  });

  it("hands what onReject throws or rejects with to Hono's error handler", async () => {
    const app = new Hono();
    app.get(
      '/sync',
      apiKeyAuth(keyward, {
        onReject: () => {
          throw Object.assign(new Error('x'), { code: 'thrown' });
        },
      }),
    );
    app.get(
      '/async',
      apiKeyAuth(keyward, {
        onReject: () => Promise.reject(Object.assign(new Error('y'), { code: 'rejected' })),
      }),
    );
    app.onError((error, c) => c.json({ error: (error as { code?: string }).code }, 500));
    const url = await serve(app);
    expect((await send(`${url}/sync`)).json()).toEqual({ error: 'thrown' });
    expect((await send(`${url}/async`)).json()).toEqual({ error: 'rejected' });
  });

  it('throws at construction on bad options', () => {
    expect(() => apiKeyAuth(keyward, { scopes: ['not a scope'] })).toThrow(TypeError);
    // A typo must never leave a route open: unknown names are refused, naming them.
    expect(() => apiKeyAuth(keyward, { scope: ['items:read'] } as never)).toThrow(/"scope"/);
    expect(() => apiKeyAuth(keyward, { keytype: 'secret' } as never)).toThrow(/"keytype"/);
    expect(() => apiKeyAuth(keyward, { keyType: 'public' } as never)).toThrow(TypeError);
    expect(() => apiKeyAuth(keyward, { keyType: 'publishable' })).not.toThrow();
    expect(() => apiKeyAuth(keyward, { cost: 0 })).toThrow(TypeError);
    expect(() => apiKeyAuth(keyward, { onReject: 'nope' as never })).toThrow(TypeError);
    expect(() => apiKeyAuth(keyward, { ip: '127.0.0.1' as never })).toThrow(TypeError);
    expect(() => apiKeyAuth(keyward, { getConnInfo: {} as never })).toThrow(TypeError);
    expect(() => apiKeyAuth(keyward, { getConnInfo, ip: () => '127.0.0.1' })).toThrow(TypeError);
    expect(() => apiKeyAuth(undefined as unknown as Keyward)).toThrow(TypeError);
    expect(() => apiKeyAuth(keyward, { scopes: ['items:read'], getConnInfo })).not.toThrow();
  });
});
