import { Agent } from 'node:http';
import { createKeyward, type Keyward, MemoryStore, type VerifyResult } from '@keyward/core';
import express5, { type ErrorRequestHandler } from 'express';
import express4 from 'express4';
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

type ExpressFactory = typeof express5;

const versions: ReadonlyArray<[string, ExpressFactory]> = [
  ['express 5', express5],
  ['express 4', express4 as unknown as ExpressFactory],
];

function harness(name: string, express: ExpressFactory): AdapterHarness {
  return {
    name,
    start(keyward, { trustOneProxy }) {
      const app = express();
      app.set('trust proxy', trustOneProxy ? 1 : false);
      app.get('/open', (_req, res) => {
        res.send('open');
      });
      app.get('/read', apiKeyAuth(keyward, { scopes: ['items:read'] }), (req, res) => {
        res.json({ keyId: req.apiKey?.id });
      });
      app.get('/admin', apiKeyAuth(keyward, { scopes: ['items:admin'] }), (req, res) => {
        res.json({ keyId: req.apiKey?.id });
      });
      return listenOnLoopback(app);
    },
  };
}

/** The documented layering: `app.use(prefix, apiKeyAuth(keyward))` plus a guard per route. */
function layered(name: string, express: ExpressFactory): LayeredHarness {
  return {
    name,
    innerFirst: false,
    start(keyward, other) {
      const app = express();
      const show = (req: express5.Request, res: express5.Response) => {
        res.json({ keyId: req.apiKey?.id });
      };
      app.use('/api', apiKeyAuth(keyward));
      app.get('/api/read', apiKeyAuth(keyward, { scopes: ['items:read'] }), show);
      app.get('/api/admin', apiKeyAuth(keyward, { scopes: ['items:admin'] }), show);
      app.get('/api/any', apiKeyAuth(keyward, { anyScopes: ['items:admin', 'items:read'] }), show);
      app.get('/api/costly', apiKeyAuth(keyward, { cost: 3 }), show);
      app.get('/api/other', apiKeyAuth(other), show);
      const paid = express.Router();
      paid.use(apiKeyAuth(keyward, { cost: 2 }));
      paid.get('/read', apiKeyAuth(keyward, { scopes: ['items:read'] }), show);
      paid.get('/costly', apiKeyAuth(keyward, { cost: 3 }), show);
      app.use('/paid', paid);
      app.get(
        '/spoofed',
        (req, _res, next) => {
          req.apiKey = FORGED_KEY;
          next();
        },
        apiKeyAuth(keyward, { scopes: ['items:admin'] }),
        show,
      );
      return listenOnLoopback(app);
    },
  };
}

/** An error handler that shows which error reached it, by its `code`. */
const reportError: ErrorRequestHandler = (error, _req, res, _next) => {
  res.status(500).json({ error: (error as { code?: string }).code ?? 'unknown' });
};

/** A stand-in keyward whose verifyOnce answers `verify()` (for paths a real one never takes). */
function fakeKeyward(verify: (...args: unknown[]) => unknown): Keyward {
  return {
    verify,
    verifyOnce: (_carrier: unknown, ...rest: unknown[]) => verify(...rest),
    checkVerifyOptions: () => undefined,
  } as unknown as Keyward;
}

const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore(), failedAttempts: false });
let readKey: { key: string; id: string };
beforeAll(async () => {
  const { key, record } = await keyward.create({ name: 'read', scopes: ['items:read'] });
  readKey = { key, id: record.id };
});

let running: RunningApp | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

for (const [name, express] of versions) {
  describeAdapterCases(harness(name, express));
  describeLayeredCases(layered(name, express));

  describe(`${name}: middleware behaviour`, () => {
    it('guards every later route with one app.use line, under a mount path too', async () => {
      const app = express();
      app.get('/health', (_req, res) => {
        res.send('ok');
      });
      const router = express.Router();
      router.use(apiKeyAuth(keyward));
      router.get('/me', (req, res) => {
        res.json({ keyId: req.apiKey?.id });
      });
      app.use('/api', router);
      running = await listenOnLoopback(app);
      expect((await send(`${running.url}/health`)).status).toBe(200);
      expectRejection(await send(`${running.url}/api/me`), 'missing_key', 401);
      expectSuccess(
        await send(`${running.url}/api/me`, { authorization: `Bearer ${readKey.key}` }),
        readKey.id,
      );
    });

    it('adds nothing to req but apiKey: the verified mark goes on req.rawHeaders', async () => {
      // Express gives each request a hidden class of its own, so every property added to req
      // costs V8 a new class (docs/benchmarks.md). Two guards, so the second reads the mark.
      const app = express();
      const before = new WeakMap<object, (string | symbol)[]>();
      app.use((req, _res, next) => {
        before.set(req, Reflect.ownKeys(req));
        next();
      });
      app.use(apiKeyAuth(keyward));
      app.get('/me', apiKeyAuth(keyward, { scopes: ['items:read'] }), (req, res) => {
        const old = new Set(before.get(req));
        const added = Reflect.ownKeys(req).filter((name) => !old.has(name));
        const marks = Object.getOwnPropertySymbols(req.rawHeaders).map((s) => s.description);
        res.json({ added: added.map(String), marks, keyId: req.apiKey?.id });
      });
      running = await listenOnLoopback(app);
      const reply = await send(`${running.url}/me`, { authorization: `Bearer ${readKey.key}` });
      expect(reply.status).toBe(200);
      const body = reply.json() as { added: string[]; marks: string[]; keyId: string };
      expect(body.keyId).toBe(readKey.id);
      // Express itself adds route, params and the like on the way; keyward only apiKey.
      expect(body.added).toContain('apiKey');
      expect(body.added.filter((name) => name.startsWith('Symbol('))).toEqual([]);
      expect(body.marks).toEqual(['keyward.verified']);
    });

    it('verifies every request of one keep-alive connection afresh (rawHeaders is per request)', async () => {
      const app = express();
      app.use(apiKeyAuth(keyward));
      app.get('/me', apiKeyAuth(keyward, { scopes: ['items:read'] }), (req, res) => {
        res.json({ keyId: req.apiKey?.id });
      });
      running = await listenOnLoopback(app);
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const sockets = new Set<unknown>();
      agent.on('free', (socket) => sockets.add(socket));
      try {
        const url = `${running.url}/me`;
        const bearer = { authorization: `Bearer ${readKey.key}` };
        expectSuccess(await send(url, bearer, agent), readKey.id);
        expectRejection(await send(url, {}, agent), 'missing_key', 401);
        expectSuccess(await send(url, bearer, agent), readKey.id);
        expectRejection(await send(url, {}, agent), 'missing_key', 401);
        // All four on one connection, so one parser: a per-connection carrier would fail this.
        expect(sockets.size).toBe(1);
      } finally {
        agent.destroy();
      }
    });

    it('checks the client IP req.ip gives, under every trust proxy setting and in a mounted app', async () => {
      const { key } = await keyward.create({ name: 'proxied', ips: ['203.0.113.7'] });
      const settings: unknown[] = [
        false,
        true,
        1,
        'loopback',
        '10.0.0.0/8',
        (ip: string) => ip === '127.0.0.1',
      ];
      for (const setting of settings) {
        for (const mounted of [false, true]) {
          const app = express();
          app.set('trust proxy', setting);
          // A mounted app inherits its parent's setting; its requests carry its own `req.app`.
          const inner = mounted ? express() : app;
          inner.get('/ip', (req, res) => {
            res.json({ ip: req.ip });
          });
          inner.get('/guarded', apiKeyAuth(keyward), (_req, res) => {
            res.json({ ok: true });
          });
          if (mounted) app.use('/in', inner);
          running = await listenOnLoopback(app);
          const base = `${running.url}${mounted ? '/in' : ''}`;
          const headers = { authorization: `Bearer ${key}`, 'x-forwarded-for': '203.0.113.7' };
          const { ip } = (await send(`${base}/ip`, headers)).json() as { ip: string };
          const guarded = await send(`${base}/guarded`, headers);
          expect({ setting: String(setting), mounted, ip, status: guarded.status }).toEqual({
            setting: String(setting),
            mounted,
            ip,
            status: ip === '203.0.113.7' ? 200 : 403,
          });
          await running.close();
          running = undefined;
        }
      }
    });

    it('hands a rejected verify Promise to next(err)', async () => {
      const failure = Object.assign(new Error('verify broke'), { code: 'verify_broke' });
      const app = express();
      app.get('/', apiKeyAuth(fakeKeyward(() => Promise.reject(failure))), (_req, res) => {
        res.send('unreachable');
      });
      app.use(reportError);
      running = await listenOnLoopback(app);
      const reply = await send(`${running.url}/`);
      expect({ status: reply.status, body: reply.json() }).toEqual({
        status: 500,
        body: { error: 'verify_broke' },
      });
    });

    it('lets onReject shape the response', async () => {
      const app = express();
      const guard = apiKeyAuth(keyward, {
        scopes: ['items:admin'],
        onReject: (result, _req, res) => {
          res.status(result.status).set(result.headers).json({ error: result.code });
        },
      });
      app.get('/', guard, (_req, res) => {
        res.send('unreachable');
      });
      running = await listenOnLoopback(app);
      const reply = await send(`${running.url}/`, { authorization: `Bearer ${readKey.key}` });
      expect({ status: reply.status, body: reply.json() }).toEqual({
        status: 403,
        body: { error: 'insufficient_scope' },
      });
      expect(reply.headers['www-authenticate']).toMatch(/insufficient_scope/);
    });

    it('sends what onReject throws, or its Promise rejects with, to next(err)', async () => {
      const app = express();
      const thrown = Object.assign(new Error('x'), { code: 'thrown' });
      const rejected = Object.assign(new Error('y'), { code: 'rejected' });
      app.get(
        '/sync',
        apiKeyAuth(keyward, {
          onReject: () => {
            throw thrown;
          },
        }),
      );
      app.get('/async', apiKeyAuth(keyward, { onReject: () => Promise.reject(rejected) }));
      app.get(
        '/next',
        apiKeyAuth(keyward, {
          onReject: (result, _req, _res, next) => next({ code: result.code }),
        }),
      );
      app.use(reportError);
      running = await listenOnLoopback(app);
      expect((await send(`${running.url}/sync`)).json()).toEqual({ error: 'thrown' });
      expect((await send(`${running.url}/async`)).json()).toEqual({ error: 'rejected' });
      expect((await send(`${running.url}/next`)).json()).toEqual({ error: 'missing_key' });
    });
  });
}

describe('apiKeyAuth (express): construction and the synchronous path', () => {
  it('throws at construction on bad options', () => {
    expect(() => apiKeyAuth(keyward, { scopes: ['not a scope'] })).toThrow(TypeError);
    // A typo must never leave a route open: unknown names are refused, naming them.
    expect(() => apiKeyAuth(keyward, { scope: ['items:read'] } as never)).toThrow(/"scope"/);
    expect(() => apiKeyAuth(keyward, { keytype: 'secret' } as never)).toThrow(/"keytype"/);
    expect(() => apiKeyAuth(keyward, { keyType: 'public' } as never)).toThrow(TypeError);
    expect(() => apiKeyAuth(keyward, { keyType: 'publishable' })).not.toThrow();
    expect(() => apiKeyAuth(keyward, { anyScopes: ['items:*'] })).toThrow(TypeError);
    expect(() => apiKeyAuth(keyward, { cost: 0 })).toThrow(TypeError);
    expect(() => apiKeyAuth(keyward, { onReject: 'nope' as never })).toThrow(TypeError);
    expect(() => apiKeyAuth(undefined as unknown as Keyward)).toThrow(TypeError);
    expect(() => apiKeyAuth(keyward, { scopes: ['items:read'], cost: 2 })).not.toThrow();
  });

  it('calls next before returning, with no Promise, when verify answers synchronously', () => {
    const guard = apiKeyAuth(keyward, { scopes: ['items:read'] });
    const req = {
      headers: { authorization: `Bearer ${readKey.key}` },
      rawHeaders: ['Authorization', `Bearer ${readKey.key}`],
      ip: '127.0.0.1',
      method: 'GET',
      originalUrl: '/',
    } as unknown as express5.Request;
    const res = { setHeader: vi.fn() } as unknown as express5.Response;
    const next = vi.fn();
    const returned = guard(req, res, next);
    expect(returned).toBeUndefined();
    expect(next).toHaveBeenCalledTimes(1);
    expect(next).toHaveBeenCalledWith();
    expect(req.apiKey?.id).toBe(readKey.id);
  });

  it('marks req.rawHeaders, or req itself when it has none; a later guard then charges nothing', async () => {
    const limited = createKeyward({ prefix: 'acme', store: new MemoryStore() });
    const { key } = await limited.create({
      name: 'limited',
      scopes: ['items:read'],
      rateLimit: { capacity: 10, refillPerSecond: 0.001 },
    });
    const remaining: string[] = [];
    const res = {
      setHeader: (name: string, value: string) => {
        if (name === 'ratelimit') remaining.push(value);
      },
    } as unknown as express5.Response;
    const request = () =>
      ({
        headers: { authorization: `Bearer ${key}` },
        ip: '127.0.0.1',
        method: 'GET',
        originalUrl: '/',
      }) as unknown as express5.Request;
    const req = request();
    const next = vi.fn();
    apiKeyAuth(limited)(req, res, next);
    apiKeyAuth(limited, { scopes: ['items:read'] })(req, res, next);
    expect(next).toHaveBeenCalledTimes(2);
    expect(next).toHaveBeenLastCalledWith();
    expect(Object.getOwnPropertySymbols(req).map((s) => s.description)).toEqual([
      'keyward.verified',
    ]);
    // One token taken in all: the second guard found the mark and charged nothing.
    expect(remaining).toHaveLength(1);
    expect(remaining[0]).toMatch(/^"[^"]+";r=9;t=\d+$/);
    // A fresh request object is verified and charged afresh.
    apiKeyAuth(limited)(request(), res, next);
    expect(remaining.at(-1)).toMatch(/;r=8;/);
    // With a rawHeaders array, the array carries the mark and req gets none.
    const rawHeaders = ['Authorization', `Bearer ${key}`];
    const withRaw = Object.assign(request(), { rawHeaders });
    apiKeyAuth(limited)(withRaw, res, next);
    apiKeyAuth(limited, { scopes: ['items:read'] })(withRaw, res, next);
    expect(remaining).toHaveLength(3);
    expect(remaining.at(-1)).toMatch(/;r=7;/);
    expect(Object.getOwnPropertySymbols(withRaw)).toEqual([]);
    expect(Object.getOwnPropertySymbols(rawHeaders).map((s) => s.description)).toEqual([
      'keyward.verified',
    ]);
  });

  it('passes rawHeaders, so Node dropping a repeated Authorization header cannot hide it', () => {
    const seen: unknown[] = [];
    const guard = apiKeyAuth(
      fakeKeyward((...args: unknown[]) => {
        seen.push(args[0]);
        return { ok: false } as VerifyResult;
      }),
    );
    const rawHeaders = ['Authorization', 'Bearer a', 'Authorization', 'Bearer b'];
    const req = {
      headers: { authorization: 'Bearer a' },
      rawHeaders,
      ip: '192.0.2.1',
      method: 'GET',
      originalUrl: '/x?y=1',
    } as unknown as express5.Request;
    const res = { setHeader: vi.fn(), end: vi.fn() } as unknown as express5.Response;
    guard(req, res, vi.fn());
    expect(seen).toEqual([
      {
        headers: { authorization: 'Bearer a' },
        rawHeaders,
        ip: '192.0.2.1',
        method: 'GET',
        url: '/x?y=1',
      },
    ]);
  });
});
