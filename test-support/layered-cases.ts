/**
 * Two guards of one keyward in front of a route — the documented `app.use('/api',
 * apiKeyAuth(keyward))` plus `apiKeyAuth(keyward, { scopes })` on the route, a Fastify
 * registration in a parent and a child context, or one `withApiKey` around another — run through
 * real HTTP against every framework adapter, in this process or, for a {@link RemoteHarness},
 * inside another runtime (see `describeLayeredCases`). A request is verified and charged once; a
 * later guard checks only what it adds.
 */
import type { CreateKeyOptions, Keyward } from '@keyward/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectRejection,
  expectSuccess,
  type KeyIssuer,
  type RemoteHarness,
  type Reply,
  type RunningApp,
  send,
} from './adapter-cases.js';
import { buildDeployment, type DeploymentSpec, FORGED_KEY } from './deployments.js';

export { FORGED_KEY };

/**
 * How a framework layers guards. `start` serves on 127.0.0.1, port 0, each handler answering
 * 200 JSON `{ keyId }`:
 * - under an outer guard `apiKeyAuth(keyward)` (no options), `GET /api/<route>` with an inner guard:
 *   `read`: `{ scopes: ['items:read'] }`; `admin`: `{ scopes: ['items:admin'] }`;
 *   `any`: `{ anyScopes: ['items:admin', 'items:read'] }`; `costly`: `{ cost: 3 }`;
 *   `other`: `apiKeyAuth(other)`, another keyward instance (over the same store), no options;
 * - under an outer guard `apiKeyAuth(keyward, { cost: 2 })`, `GET /paid/read` (inner
 *   `{ scopes: ['items:read'] }`) and `GET /paid/costly` (inner `{ cost: 3 }`);
 * - `GET /spoofed`: first the app puts {@link FORGED_KEY} where the adapter puts a verified key
 *   (`req.apiKey`, `ctx.state.apiKey`, `request.apiKey`, Hono's `c.set('apiKey')`; @keyward/fetch
 *   keeps it where no app can write, so there the app marks the `Request` under
 *   `Symbol.for('keyward.verified')`), then `apiKeyAuth(keyward, { scopes: ['items:admin'] })`.
 * A {@link RemoteHarness} serves the same routes (its `start` with `app: 'layered'`), with the
 * outer guard running first.
 */
export interface LayeredHarness {
  readonly name: string;
  /**
   * Whether the route's own (inner) guard runs before the outer one: Fastify runs a child
   * context's hook first; Express, Koa, Hono and nested `withApiKey`s run the outer one first.
   */
  readonly innerFirst: boolean;
  start(keyward: Keyward, other: Keyward): Promise<RunningApp>;
}

const CAPACITY = 20;

/**
 * Two keyward instances over one store (keys and limits), as two guards of an app could be, with
 * a key store answering a tick later when `asynchronous` (so verify takes its Promise path); and
 * the app serving the layered routes for them.
 */
async function layeredDeployment(
  harness: LayeredHarness | RemoteHarness,
  asynchronous: boolean,
): Promise<{ keyward: KeyIssuer; app: RunningApp }> {
  const spec: DeploymentSpec = {
    keyStore: asynchronous ? 'async' : 'memory',
    ...(asynchronous ? { cacheMax: 0 } : {}),
    fakeClock: true,
    twin: true,
  };
  if ('deploy' in harness) {
    const deployment = await harness.deploy(spec);
    const app = await deployment.start({ trustOneProxy: false, app: 'layered' });
    return { keyward: deployment.keyward, app };
  }
  const { keyward, other } = buildDeployment(spec);
  return { keyward, app: await harness.start(keyward, other!) };
}

/** The `r` of the token bucket and of the quota in a reply's `RateLimit` header. */
function remaining(reply: Reply): { tokens: number; quota: number } {
  const header = String(reply.headers['ratelimit']);
  return {
    tokens: Number(/"key";r=(\d+)/.exec(header)?.[1] ?? Number.NaN),
    quota: Number(/"quota";r=(\d+)/.exec(header)?.[1] ?? Number.NaN),
  };
}

/**
 * Registers the layered-guard cases for one framework (version) under vitest.
 *
 * @example
 * ```ts
 * describeLayeredCases({ name: 'express 5', innerFirst: false, start: (kw, other) => listenOnLoopback(makeApp(kw, other)) });
 * ```
 */
export function describeLayeredCases(harness: LayeredHarness | RemoteHarness): void {
  const innerFirst = 'innerFirst' in harness && harness.innerFirst;
  for (const asynchronous of [false, true]) {
    const label = asynchronous ? ', key store answering asynchronously' : '';
    describe(`${harness.name}: two guards of one keyward${label}`, () => {
      let keyward: KeyIssuer;
      let app: RunningApp;
      beforeAll(async () => {
        ({ keyward, app } = await layeredDeployment(harness, asynchronous));
      });
      afterAll(() => app?.close());
      const get = (path: string, headers: Record<string, string> = {}) =>
        send(`${app.url}${path}`, headers);
      const keys = {
        issue: async (overrides: Partial<CreateKeyOptions> = {}) => {
          const { key, record } = await keyward.create({
            name: 'layered',
            scopes: ['items:read'],
            rateLimit: { capacity: CAPACITY, refillPerSecond: 0.001 },
            quota: { limit: 100, period: 'day' },
            ...overrides,
          });
          return { key, id: record.id, bearer: { authorization: `Bearer ${key}` } };
        },
      };

      it('charges a request that passes both guards once: a quota of 4 serves 4 requests', async () => {
        const k = await keys.issue({ quota: { limit: 4, period: 'day' } });
        const seen: Array<{ tokens: number; quota: number }> = [];
        for (let i = 0; i < 4; i++) {
          const reply = await get('/api/read', k.bearer);
          expectSuccess(reply, k.id);
          seen.push(remaining(reply));
        }
        expect(seen).toEqual([
          { tokens: 19, quota: 3 },
          { tokens: 18, quota: 2 },
          { tokens: 17, quota: 1 },
          { tokens: 16, quota: 0 },
        ]);
        expectRejection(await get('/api/read', k.bearer), 'quota_exceeded', 429);
      });

      it('checks what the later guard adds — its scopes, anyScopes — against the verified key', async () => {
        const read = await keys.issue();
        expectRejection(await get('/api/admin', read.bearer), 'insufficient_scope', 403);
        const any = await get('/api/any', read.bearer);
        expectSuccess(any, read.id);
        // The refused request cost what its first guard took: one token when the outer guard
        // verified it, none when the inner guard refused it first.
        const refusedCost = innerFirst ? 0 : 1;
        expect(remaining(any)).toEqual({
          tokens: CAPACITY - 1 - refusedCost,
          quota: 99 - refusedCost,
        });
        const admin = await keys.issue({ scopes: ['items:*'] });
        expectSuccess(await get('/api/admin', admin.bearer), admin.id);
        expectRejection(await get('/api/read'), 'missing_key', 401);
      });

      it('makes a request cost the sum of the costs its guards name, or 1 when none names one', async () => {
        const k = await keys.issue();
        const costs: number[] = [];
        let before = CAPACITY;
        for (const path of ['/api/read', '/api/costly', '/paid/read', '/paid/costly']) {
          const reply = await get(path, k.bearer);
          expectSuccess(reply, k.id);
          const { tokens, quota } = remaining(reply);
          expect(CAPACITY - tokens).toBe(100 - quota);
          costs.push(before - tokens);
          before = tokens;
        }
        expect(costs).toEqual([1, 3, 2, 5]);
      });

      it('lets a guard of another keyward instance verify (and charge) on its own', async () => {
        const k = await keys.issue();
        const reply = await get('/api/other', k.bearer);
        expectSuccess(reply, k.id);
        expect(remaining(reply)).toEqual({ tokens: CAPACITY - 2, quota: 98 });
      });

      it('never counts a key the app put on the request as verified', async () => {
        expectRejection(await get('/spoofed'), 'missing_key', 401);
        const read = await keys.issue();
        expectRejection(await get('/spoofed', read.bearer), 'insufficient_scope', 403);
        const admin = await keys.issue({ scopes: ['items:admin'] });
        expectSuccess(await get('/spoofed', admin.bearer), admin.id);
      });
    });
  }
}
