import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { createKeyward, type Keyward, MemoryStore, type VerifyRejection } from '@keyward/core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { describeAdapterCases, listenOnLoopback } from '../../../test-support/adapter-cases.js';
import { describeAttackCases } from '../../../test-support/attack-cases.js';
import { describeLayeredCases } from '../../../test-support/layered-cases.js';
import { listenOn } from '../../../test-support/raw-http.js';
import { describeRepeatedLines } from '../../../test-support/repeated-lines.js';
import {
  echoHeaders,
  fetchLayeredApp,
  fetchTableApp,
  forwardedFor,
} from '../../../test-support/runtimes/host.js';
import { HONO_NODE_PARSER } from '../../../test-support/runtimes/parsers.js';
import { getApiKey, withApiKey } from './with-api-key.js';

/** The tables' fetch app on Node (@hono/node-server turns Node's request into a Request). */
function nodeApp(keyward: Keyward, trustOneProxy: boolean) {
  const socketIp = (_request: Request, env: HttpBindings) => env.incoming.socket.remoteAddress;
  const ip = (request: Request, env: HttpBindings) =>
    (trustOneProxy ? forwardedFor(request) : undefined) ?? socketIp(request, env);
  return getRequestListener(fetchTableApp(keyward, ip as never) as never);
}

describeAdapterCases({
  name: '@keyward/fetch on node',
  start: (keyward, { trustOneProxy }) => listenOnLoopback(nodeApp(keyward, trustOneProxy)),
});
describeAttackCases(
  {
    name: '@keyward/fetch on node',
    start: (keyward, { trustOneProxy, host }) => listenOn(nodeApp(keyward, trustOneProxy), host),
  },
  { fuzzRuns: 100, parser: HONO_NODE_PARSER },
);
describeLayeredCases({
  name: '@keyward/fetch on node',
  innerFirst: false,
  start: (keyward, other) =>
    listenOnLoopback(getRequestListener(fetchLayeredApp(keyward, other) as never)),
});
describeRepeatedLines(
  {
    name: '@hono/node-server',
    echo: () => listenOnLoopback(getRequestListener(echoHeaders as never)),
  },
  HONO_NODE_PARSER,
);

const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore(), failedAttempts: false });
let limited: { key: string; id: string };
let unlimited: { key: string; id: string };
beforeAll(async () => {
  const a = await keyward.create({
    name: 'limited',
    scopes: ['items:read'],
    rateLimit: { capacity: 100, refillPerSecond: 1 },
  });
  const b = await keyward.create({ name: 'unlimited', scopes: ['items:read'] });
  limited = { key: a.key, id: a.record.id };
  unlimited = { key: b.key, id: b.record.id };
});

const request = (key?: string, headers: Record<string, string> = {}) =>
  new Request('http://api.test/items?page=2', {
    headers: key === undefined ? headers : { authorization: `Bearer ${key}`, ...headers },
  });

describe('withApiKey: the guarded handler', () => {
  it('answers synchronously, with no Promise, when verify and the handler do', () => {
    const guarded = withApiKey(() => new Response('ok'), keyward);
    const response = guarded(request(limited.key));
    expect(response).toBeInstanceOf(Response);
    expect((response as Response).headers.get('ratelimit')).toMatch(/^"key";r=\d+;t=0$/);
  });

  it('calls the handler with the same request and arguments, the key behind getApiKey', async () => {
    const handler = vi.fn((req: Request, _server: { id: number }) =>
      Response.json({ keyId: getApiKey(req)?.id }),
    );
    const server = { id: 7 };
    const req = request(unlimited.key);
    const response = await withApiKey(handler, keyward)(req, server);
    expect(handler).toHaveBeenCalledWith(req, server);
    expect(await response.json()).toEqual({ keyId: unlimited.id });
    expect(getApiKey(request(unlimited.key))).toBeUndefined();
  });

  it("returns the handler's own Response untouched when there are no headers to add", () => {
    const own = new Response('ok');
    expect(withApiKey(() => own, keyward)(request(unlimited.key))).toBe(own);
  });

  it('adds the rate-limit headers, keeping any the handler set, also to a Promise', async () => {
    const set = withApiKey(() => new Response('ok', { headers: { ratelimit: 'mine' } }), keyward);
    const headers = (set(request(limited.key)) as Response).headers;
    expect(headers.get('ratelimit')).toBe('mine');
    expect(headers.get('ratelimit-policy')).toBe('"key";q=100;w=100');
    const later = withApiKey(async () => new Response('later'), keyward);
    const response = await later(request(limited.key));
    expect(await response.text()).toBe('later');
    expect(response.headers.get('ratelimit-policy')).toBe('"key";q=100;w=100');
  });

  it('copies a Response whose headers are immutable (one fetch() returned) to add its headers', async () => {
    const upstream = await listenOnLoopback((_req, res) => {
      res.writeHead(201, { 'x-upstream': 'yes' }).end('from upstream');
    });
    try {
      const proxy = withApiKey(() => fetch(upstream.url), keyward);
      const response = await proxy(request(limited.key));
      expect(() => new Response().headers.set('x', '1')).not.toThrow();
      expect({
        status: response.status,
        upstream: response.headers.get('x-upstream'),
        policy: response.headers.get('ratelimit-policy'),
        body: await response.text(),
      }).toEqual({
        status: 201,
        upstream: 'yes',
        policy: '"key";q=100;w=100',
        body: 'from upstream',
      });
      const direct = await fetch(upstream.url);
      expect(() => direct.headers.set('x', '1')).toThrow(TypeError);
      await direct.text();
    } finally {
      await upstream.close();
    }
  });

  it('passes on what is not a Response (Bun returns nothing after a WebSocket upgrade)', () => {
    const upgraded = withApiKey(() => undefined as unknown as Response, keyward);
    expect(upgraded(request(limited.key))).toBeUndefined();
  });

  it('answers a rejection with the status, headers and problem body the core decided', async () => {
    const guarded = withApiKey(() => new Response('unreachable'), keyward, {
      scopes: ['items:admin'],
    });
    const expected = (await keyward.verify(
      { headers: { authorization: `Bearer ${unlimited.key}` } },
      { scopes: ['items:admin'] },
    )) as VerifyRejection;
    const response = await guarded(request(unlimited.key));
    expect(response.status).toBe(403);
    expect(Object.fromEntries(response.headers)).toEqual(expected.headers);
    expect(await response.json()).toEqual(expected.body);
  });

  it('hands onReject the rejection, the request and the other arguments', async () => {
    const onReject = vi.fn((result: VerifyRejection) =>
      Response.json({ error: result.code }, { status: 418 }),
    );
    const req = request();
    const handler = (_req: Request, _env: string, _ctx: string) => new Response('unreachable');
    const response = await withApiKey(handler, keyward, { onReject })(req, 'env', 'ctx');
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 418,
      body: { error: 'missing_key' },
    });
    expect(onReject.mock.calls[0]?.slice(1)).toEqual([req, 'env', 'ctx']);
  });

  it('gives the ip option the request and the other arguments', async () => {
    const { key } = await keyward.create({
      name: 'ip',
      scopes: ['items:read'],
      ips: ['10.0.0.0/8'],
    });
    const ok = () => new Response('ok');
    const fromServer = withApiKey((_req: Request, _server: { address: string }) => ok(), keyward, {
      ip: (_req, server: { address: string }) => server.address,
    });
    expect((await fromServer(request(key), { address: '10.1.2.3' })).status).toBe(200);
    expect((await fromServer(request(key), { address: '192.0.2.1' })).status).toBe(403);
    expect((await withApiKey(ok, keyward, { ip: '10.9.9.9' })(request(key))).status).toBe(200);
    // No IP at all fails closed against an allow-list.
    expect((await withApiKey(ok, keyward)(request(key))).status).toBe(403);
  });

  it('answers through a Promise when the key store is asynchronous', async () => {
    const inner = new MemoryStore();
    const slow = createKeyward({
      prefix: 'acme',
      keyStore: {
        getKey: async (id) => inner.getKey(id),
        insertKey: async (record) => inner.insertKey(record),
        updateKey: async (record, version) => inner.updateKey(record, version),
        listKeys: async (query) => inner.listKeys(query),
      },
      limitStore: inner,
      cache: { max: 0 },
    });
    const { key, record } = await slow.create({ name: 'slow' });
    const result = withApiKey((req) => Response.json(getApiKey(req)?.id), slow)(request(key));
    expect(result).toBeInstanceOf(Promise);
    expect(await (await result).json()).toBe(record.id);
  });

  it('throws at construction on bad arguments', () => {
    const ok = () => new Response('ok');
    expect(() => withApiKey('nope' as never, keyward)).toThrow(TypeError);
    expect(() => withApiKey(ok, undefined as unknown as Keyward)).toThrow(TypeError);
    expect(() => withApiKey(ok, keyward, { scopes: ['not a scope'] })).toThrow(TypeError);
    // A typo must never leave a route open: unknown names are refused, naming them.
    expect(() => withApiKey(ok, keyward, { scope: ['items:read'] } as never)).toThrow(/"scope"/);
    expect(() => withApiKey(ok, keyward, { keytype: 'secret' } as never)).toThrow(/"keytype"/);
    expect(() => withApiKey(ok, keyward, { keyType: 'public' } as never)).toThrow(TypeError);
    expect(() => withApiKey(ok, keyward, { keyType: 'publishable' })).not.toThrow();
    expect(() => withApiKey(ok, keyward, { cost: 0 })).toThrow(TypeError);
    expect(() => withApiKey(ok, keyward, { ip: 42 as never })).toThrow(TypeError);
    expect(() => withApiKey(ok, keyward, { onReject: 'no' as never })).toThrow(TypeError);
    expect(() => withApiKey(ok, keyward, { scopes: ['items:read'], ip: '::1' })).not.toThrow();
  });
});
