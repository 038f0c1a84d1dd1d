/**
 * The route-restriction table (#14): a key limited to `GET /api/public/*` sent, as raw bytes, to
 * every framework adapter, with the path tricks that could make a router and keyward disagree
 * about which route a request is for (dot segments, encoded dots, slashes and backslashes, empty
 * segments, undecodable bytes). The invariant on every adapter: the private handler never runs
 * for this key. Each case also states the exact answer per way the adapter names the route to
 * keyward (`RouteHarness.routing`).
 */
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRejection, type RunningApp } from './adapter-cases.js';
import { sendRaw } from './raw-http.js';

/**
 * How an adapter under the table tells keyward the route:
 * - `path`: the request target as the framework routes on it, undecoded and unnormalised
 *   (Express `app.use`, Koa without a router): every trick is keyward's to refuse (`400`).
 * - `template`: the framework's matched route template (Fastify): a request the router sends
 *   nowhere is its 404; one it routes to `/api/public/:name` (a `%2f` inside the segment) is that
 *   route's, as the handler sees it.
 * - `url`: a WHATWG URL (fetch `Request`, Hono): dot segments (also `%2e`) and `\` were resolved
 *   before anyone routed, so the resolved path is the route; `%2f`, `%5c` and `//` still reach
 *   keyward and are refused.
 */
export type Routing = 'path' | 'template' | 'url';

/**
 * An adapter put under the route table. `start` serves on 127.0.0.1, port 0, behind ONE guard
 * for all of `/api` (mount-level where the framework has one: `app.use('/api', …)`, a plugin, a
 * wrapper), with no scopes:
 * - `GET /api/public/:name` → 200 JSON `{ keyId, handler: 'public' }`
 * - `GET /api/private/:name` → 200 JSON `{ keyId, handler: 'private' }`
 * and, outside `/api`, behind a guard with `keyType: 'publishable'`:
 * - `GET /browser/:name` → 200 JSON `{ keyId, handler: 'browser' }`
 * and 404 for anything else.
 */
export interface RouteHarness {
  readonly name: string;
  readonly routing: Routing;
  start(keyward: Keyward): Promise<RunningApp>;
}

type Expected =
  | { readonly ok: true }
  | { readonly code: string; readonly status: number }
  | { readonly status: 400 | 404 };

const OK = { ok: true } as const;
const NOT_ALLOWED = { code: 'route_not_allowed', status: 403 } as const;
const INVALID = { code: 'invalid_path', status: 400 } as const;
const NOT_FOUND = { status: 404 } as const;

interface RouteCase {
  readonly name: string;
  /** The request target, sent byte for byte. */
  readonly path: string;
  readonly expect: Readonly<Record<Routing, Expected>>;
}

const all = (expected: Expected): Record<Routing, Expected> => ({
  path: expected,
  template: expected,
  url: expected,
});

const CASES: readonly RouteCase[] = [
  { name: 'its own route', path: '/api/public/a', expect: all(OK) },
  {
    name: 'its own route with a query holding ../',
    path: '/api/public/a?x=/../private/a',
    expect: all(OK),
  },
  { name: 'another route', path: '/api/private/a', expect: all(NOT_ALLOWED) },
  {
    name: 'another route in other letter case',
    path: '/api/PUBLIC/a',
    expect: { path: NOT_ALLOWED, template: NOT_FOUND, url: NOT_ALLOWED },
  },
  {
    name: '../ out of its route',
    path: '/api/public/../private/a',
    expect: { path: INVALID, template: NOT_FOUND, url: NOT_ALLOWED },
  },
  {
    name: '../ that lands back on its route',
    path: '/api/private/../public/a',
    expect: { path: INVALID, template: NOT_FOUND, url: OK },
  },
  {
    name: 'a ./ segment',
    path: '/api/public/./a',
    expect: { path: INVALID, template: NOT_FOUND, url: OK },
  },
  {
    name: '%2e%2e/ out of its route',
    path: '/api/public/%2e%2e/private/a',
    expect: { path: INVALID, template: NOT_FOUND, url: NOT_ALLOWED },
  },
  {
    name: '.%2E/ out of its route',
    path: '/api/public/.%2E/private/a',
    expect: { path: INVALID, template: NOT_FOUND, url: NOT_ALLOWED },
  },
  {
    name: '%2f-encoded slashes',
    path: '/api/public/..%2f..%2fprivate%2fa',
    expect: { path: INVALID, template: OK, url: INVALID },
  },
  {
    name: '%2F-encoded slashes into another route',
    path: '/api/private%2Fa',
    expect: { path: INVALID, template: NOT_FOUND, url: INVALID },
  },
  {
    name: '%5c-encoded backslashes',
    path: '/api/public/..%5c..%5cprivate%5ca',
    expect: { path: INVALID, template: OK, url: INVALID },
  },
  {
    name: 'raw backslashes',
    path: '/api/public/..\\private\\a',
    // @hono/node-server answers 400 itself: a backslash is no valid request-target byte.
    expect: { path: INVALID, template: OK, url: { status: 400 } },
  },
  {
    name: 'an empty segment',
    path: '/api//public/a',
    expect: { path: INVALID, template: NOT_FOUND, url: INVALID },
  },
  {
    name: 'undecodable bytes',
    path: '/api/public/%zz',
    expect: { path: INVALID, template: { status: 400 }, url: INVALID },
  },
  {
    name: 'an overlong UTF-8 dot',
    path: '/api/public/%c0%ae%c0%ae/private/a',
    // Fastify answers 400 itself: the path does not decode.
    expect: { path: INVALID, template: { status: 400 }, url: INVALID },
  },
];

/**
 * Registers the route table for one adapter (version).
 *
 * @example
 * ```ts
 * describeRouteCases({ name: 'express 5', routing: 'path', start: (keyward) => listenOnLoopback(makeApp(keyward)) });
 * ```
 */
export function describeRouteCases(harness: RouteHarness): void {
  const deployed: { keyward?: Keyward } = {};
  describe(`${harness.name}: per-key route restrictions through real HTTP (${harness.routing})`, () => {
    let app: RunningApp;
    let key: string;
    let keyId: string;
    let open: { key: string; id: string };
    beforeAll(async () => {
      const keyward = createKeyward({
        prefix: 'acme',
        store: new MemoryStore(),
        failedAttempts: false,
      });
      deployed.keyward = keyward;
      const routed = await keyward.create({ name: 'routed', routes: ['GET /api/public/*'] });
      key = routed.key;
      keyId = routed.record.id;
      const unrestricted = await keyward.create({ name: 'open' });
      open = { key: unrestricted.key, id: unrestricted.record.id };
      app = await harness.start(keyward);
    });
    afterAll(() => app?.close());

    it('serves both handlers to a key without routes (the app works)', async () => {
      for (const handler of ['public', 'private']) {
        const reply = await sendRaw(app.url, `/api/${handler}/a`, [['X-API-Key', open.key]]);
        expect({ status: reply.status, body: reply.json() }).toEqual({
          status: 200,
          body: { keyId: open.id, handler },
        });
      }
    });

    it('keyType: a publishable-only route refuses a secret key (403 wrong_key_type), takes a publishable one', async () => {
      const keyward = deployed.keyward!;
      const pk = await keyward.create({
        name: 'browser',
        type: 'publishable',
        referrers: ['https://shop.example.com/*'],
      });
      const fromShop: [string, string][] = [['Origin', 'https://shop.example.com']];
      const reply = await sendRaw(app.url, '/browser/a', [['X-API-Key', pk.key], ...fromShop]);
      expect({ status: reply.status, body: reply.json() }).toEqual({
        status: 200,
        body: { keyId: pk.record.id, handler: 'browser' },
      });
      expectRejection(
        await sendRaw(app.url, '/browser/a', [['X-API-Key', open.key], ...fromShop]),
        'wrong_key_type',
        403,
      );
      expectRejection(
        await sendRaw(app.url, '/browser/a', [
          ['X-API-Key', pk.key],
          ['Origin', 'https://evil.example.net'],
          ['Referer', 'https://shop.example.com/cart'],
        ]),
        'referrer_not_allowed',
        403,
      );
    });

    for (const c of CASES) {
      const expected = c.expect[harness.routing];
      const label = 'ok' in expected ? 'serves' : 'refuses';
      it(`${label} ${c.name} (${c.path}): ${'ok' in expected ? 200 : 'code' in expected ? `${expected.status} ${expected.code}` : expected.status}`, async () => {
        const reply = await sendRaw(app.url, c.path, [['X-API-Key', key]]);
        // Whatever the router made of it, this key never reaches the private handler.
        if (reply.status === 200) expect(reply.json()).toEqual({ keyId, handler: 'public' });
        if ('ok' in expected) {
          expect(reply.status).toBe(200);
        } else if ('code' in expected) {
          expectRejection(reply, expected.code, expected.status);
        } else {
          expect(reply.status).toBe(expected.status);
          expect(reply.headers['content-type'] ?? '').not.toMatch(/problem\+json/);
        }
      });
    }
  });
}
