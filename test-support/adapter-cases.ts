/**
 * The adapter test table, written once and run through real HTTP against every framework
 * adapter and each supported major version (see `describeAdapterCases`), in this process or, for a
 * {@link RemoteHarness}, inside another runtime (Bun, Deno, workerd).
 */
import { type Agent, createServer, request as httpRequest, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CreateKeyOptions,
  createKeyward,
  type Keyward,
  MemoryStore,
  type UpdateKeyOptions,
} from '@keyward/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeployment, type DeploymentSpec, FakeClock } from './deployments.js';

export { FakeClock };

/** A server an adapter harness started on 127.0.0.1. */
export interface RunningApp {
  /** e.g. `http://127.0.0.1:40123` */
  readonly url: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /**
   * Trust exactly one proxy in front, at 127.0.0.1 (so the last `X-Forwarded-For` entry is the
   * client); otherwise trust none.
   */
  readonly trustOneProxy: boolean;
}

/**
 * How a framework adapter is put under the table. `start` serves, on 127.0.0.1 port 0:
 * - `GET /open`: no key required → 200
 * - `GET /read`: guarded, requires `items:read` → 200 JSON `{ keyId }` (the handler's view of the key)
 * - `GET /admin`: guarded, requires `items:admin` → 200 JSON `{ keyId }`
 * with the framework's own trust-proxy setting per `options`.
 */
export interface AdapterHarness {
  readonly name: string;
  start(keyward: Keyward, options: HarnessOptions): Promise<RunningApp>;
}

/** The parts of a Keyward the tables call to set up their cases. */
export interface KeyIssuer {
  create(options: CreateKeyOptions): Promise<{ key: string; record: { id: string } }>;
  revoke(id: string, options?: { reason?: string }): Promise<unknown>;
  update(id: string, changes: UpdateKeyOptions): Promise<unknown>;
}

/** A deployment under a table: its keyward, its handles, and apps serving it. */
export interface Deployment<Options = HarnessOptions> {
  readonly keyward: KeyIssuer;
  /** Moves the deployment's fake clock (see {@link DeploymentSpec}). */
  advanceClock(ms: number): Promise<void>;
  /** Key reads of a `counting` key store so far. */
  storeReads(): Promise<number>;
  /** Serves the routes the harness interface describes, for this deployment. */
  start(options: Options): Promise<RunningApp>;
  /** The keyward itself, when it runs in this process (for cases that call `verify` directly). */
  readonly local?: Keyward;
}

/**
 * A harness whose server, adapter and keyward all run in another runtime: it builds each
 * deployment there (from its JSON spec) and drives it by remote calls, while the tables send
 * their requests to it as to any other server.
 */
export interface RemoteHarness {
  readonly name: string;
  /**
   * Why the runtime cannot tell the client's socket address (IPv6 or IPv4-mapped) to a handler,
   * if it cannot: the IPv6 cases are then skipped with this reason.
   */
  readonly noClientSockets?: string | undefined;
  /**
   * Why the runtime hands a handler no trace of empty `Authorization` lines sent before the
   * first non-empty one, if it does: cases sending one are then skipped here with this reason
   * (the attack table asserts what the runtime does instead).
   */
  readonly dropsLeadingEmptyAuthorization?: string | undefined;
  /**
   * `start` serves the table's routes (`app: 'table'`, the default), or the layered-guard routes
   * of `layered-cases.ts` (`app: 'layered'`, for a spec with a `twin`).
   */
  deploy(spec: DeploymentSpec): Promise<
    Deployment<
      HarnessOptions & {
        readonly host?: '127.0.0.1' | '::';
        readonly app?: 'table' | 'layered';
      }
    >
  >;
}

/**
 * Builds `spec` for a harness: inside its runtime for a {@link RemoteHarness}, otherwise here,
 * served by the harness's `start`.
 *
 * @example
 * ```ts
 * const deployment = await deploy(harness, { keyStore: 'memory' });
 * const app = await deployment.start({ trustOneProxy: false });
 * ```
 */
export async function deploy<Options>(
  harness: { start(keyward: Keyward, options: Options): Promise<RunningApp> } | RemoteHarness,
  spec: DeploymentSpec,
): Promise<Deployment<Options>> {
  if ('deploy' in harness) return (await harness.deploy(spec)) as Deployment<Options>;
  const { keyward, clock, storeReads } = buildDeployment(spec);
  return {
    keyward,
    local: keyward,
    advanceClock: async (ms) => clock?.advance(ms),
    storeReads: async () => storeReads(),
    start: (options) => harness.start(keyward, options),
  };
}

export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  json(): Record<string, unknown>;
}

/** Serves a Node request listener (Express app, Koa callback) on 127.0.0.1, port 0. */
export function listenOnLoopback(listener: RequestListener): Promise<RunningApp> {
  const server = createServer(listener);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * How long a test client waits for an answer before it counts as a hang: a Bun, Deno or workerd
 * child on a machine loaded by the rest of CI can be slow to answer, but not this slow.
 */
export const ANSWER_TIMEOUT_MS = 15_000;

/**
 * Sends one request with node:http (no keep-alive, unless `agent` keeps its connections alive). A
 * header given as an array is sent as that many separate header lines, which `fetch` cannot do.
 */
export function send(
  url: string,
  headers: Readonly<Record<string, string | readonly string[]>> = {},
  agent: Agent | false = false,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, headers: headers as Record<string, string> });
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json: () => JSON.parse(text) as Record<string, unknown>,
        });
      });
    });
    req.end();
  });
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Asserts a problem response: status, code, media type and the headers its status calls for. */
export function expectRejection(reply: Reply, code: string, status: number): void {
  expect({ status: reply.status, code: reply.json()['code'] }).toEqual({ status, code });
  expect(reply.json()['status']).toBe(status);
  expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(reply.headers['cache-control']).toBe('no-store');
  if (status === 401) expect(reply.headers['www-authenticate']).toMatch(/^Bearer realm="/);
  else expect(reply.headers['www-authenticate'] ?? '').not.toMatch(/^Bearer realm="[^"]*"$/);
  if (status === 429 || status === 503) expect(reply.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  else expect(reply.headers['retry-after']).toBeUndefined();
  if (code === 'rate_limited' || code === 'quota_exceeded') {
    expect(reply.headers['ratelimit']).toMatch(/^"(key|quota)";r=\d+;t=\d+/);
    expect(reply.headers['ratelimit-policy']).toMatch(/^"(key|quota)";q=\d+;w=\d+/);
  }
}

/** Asserts a verified request reached the handler, which saw `keyId`. */
export function expectSuccess(reply: Reply, keyId: string): void {
  expect(reply.status).toBe(200);
  expect(reply.json()).toEqual({ keyId });
  expect(reply.headers['www-authenticate']).toBeUndefined();
}

interface Fixture {
  readonly keyward: KeyIssuer;
  readonly clock: { readonly now: number; advance(ms: number): Promise<void> };
  readonly start: (options: HarnessOptions) => Promise<RunningApp>;
  /** A live key with `items:read` (plus `overrides`); returns the full key and its id. */
  issue(overrides?: Partial<CreateKeyOptions>): Promise<{ key: string; id: string }>;
  /** A well-formed key from another deployment with the same prefix: its id is unknown here. */
  foreignKey(environment: 'live' | 'test'): Promise<string>;
}

interface RejectionCase {
  readonly name: string;
  readonly code: string;
  readonly status: number;
  readonly path?: '/read' | '/admin';
  /** Requests sent (and expected to succeed) before the asserted one. */
  readonly warmups?: number;
  /** Whether it sends an empty `Authorization` line before the first non-empty one. */
  readonly leadingEmptyAuthorization?: boolean;
  headers(fixture: Fixture): Promise<Record<string, string | string[]>>;
}

/** The table: one request per case, its expected code and status. */
const REJECTIONS: readonly RejectionCase[] = [
  { name: 'no key', code: 'missing_key', status: 401, headers: async () => ({}) },
  {
    name: 'a key that is not keyward-shaped',
    code: 'malformed_key',
    status: 401,
    headers: async () => bearer('acme_live_not-a-real-key'),
  },
  {
    name: 'Authorization and X-API-Key carrying different keys',
    code: 'ambiguous_key',
    status: 400,
    headers: async (f) => ({
      ...bearer((await f.issue()).key),
      'x-api-key': (await f.issue()).key,
    }),
  },
  {
    name: 'the Authorization header sent twice with different keys',
    code: 'ambiguous_key',
    status: 400,
    headers: async (f) => ({
      authorization: [`Bearer ${(await f.issue()).key}`, `Bearer ${(await f.issue()).key}`],
    }),
  },
  {
    name: 'an empty Authorization line beside a valid Bearer line',
    code: 'ambiguous_key',
    status: 400,
    leadingEmptyAuthorization: true,
    headers: async (f) => ({ authorization: ['', `Bearer ${(await f.issue()).key}`] }),
  },
  {
    name: 'a Basic Authorization line beside a valid Bearer line',
    code: 'ambiguous_key',
    status: 400,
    headers: async (f) => ({
      authorization: [`Bearer ${(await f.issue()).key}`, 'Basic dXNlcjpwdw=='],
    }),
  },
  {
    name: 'the X-API-Key header sent twice with the same valid key',
    code: 'ambiguous_key',
    status: 400,
    headers: async (f) => {
      const { key } = await f.issue();
      return { 'x-api-key': [key, key] };
    },
  },
  {
    name: 'a well-formed key this deployment never issued',
    code: 'invalid_key',
    status: 401,
    headers: async (f) => bearer(await f.foreignKey('live')),
  },
  {
    name: 'an expired key',
    code: 'expired_key',
    status: 401,
    headers: async (f) => {
      const { key } = await f.issue({ expiresAt: f.clock.now + 60_000 });
      await f.clock.advance(61_000);
      return bearer(key);
    },
  },
  {
    name: 'a revoked key',
    code: 'revoked_key',
    status: 401,
    headers: async (f) => {
      const { key, id } = await f.issue();
      await f.keyward.revoke(id, { reason: 'test' });
      return bearer(key);
    },
  },
  {
    name: 'a disabled key',
    code: 'disabled_key',
    status: 403,
    headers: async (f) => {
      const { key, id } = await f.issue();
      await f.keyward.update(id, { disabled: true });
      return bearer(key);
    },
  },
  {
    name: 'a test key sent to a live-only deployment',
    code: 'wrong_environment',
    status: 401,
    headers: async (f) => ({ 'x-api-key': await f.foreignKey('test') }),
  },
  {
    name: 'a key whose IP allow-list excludes 127.0.0.1',
    code: 'ip_not_allowed',
    status: 403,
    headers: async (f) => bearer((await f.issue({ ips: ['203.0.113.0/24'] })).key),
  },
  {
    name: 'a key restricted to referrers, sent without one',
    code: 'referrer_not_allowed',
    status: 403,
    headers: async (f) => bearer((await f.issue({ referrers: ['https://app.example.com/*'] })).key),
  },
  {
    name: 'a read key on an admin route',
    code: 'insufficient_scope',
    status: 403,
    path: '/admin',
    headers: async (f) => bearer((await f.issue()).key),
  },
  {
    name: 'a key whose token bucket is empty',
    code: 'rate_limited',
    status: 429,
    warmups: 2,
    headers: async (f) =>
      bearer((await f.issue({ rateLimit: { capacity: 2, refillPerSecond: 0.001 } })).key),
  },
  {
    name: 'a key whose daily quota is used up',
    code: 'quota_exceeded',
    status: 429,
    warmups: 1,
    headers: async (f) => bearer((await f.issue({ quota: { limit: 1, period: 'day' } })).key),
  },
];

async function fixture(
  harness: AdapterHarness | RemoteHarness,
  spec: Partial<DeploymentSpec> = {},
): Promise<Fixture> {
  const deployment = await deploy(harness, { keyStore: 'memory', fakeClock: true, ...spec });
  const { keyward } = deployment;
  const clock = new FakeClock();
  const foreign = createKeyward({ prefix: 'acme', store: new MemoryStore() });
  return {
    keyward,
    clock: {
      get now() {
        return clock.now;
      },
      advance: async (ms) => {
        clock.advance(ms);
        await deployment.advanceClock(ms);
      },
    },
    start: (options) => deployment.start(options),
    issue: async (overrides = {}) => {
      const { key, record } = await keyward.create({
        name: 'adapter case',
        environment: 'live',
        scopes: ['items:read'],
        ...overrides,
      });
      return { key, id: record.id };
    },
    foreignKey: async (environment) => (await foreign.create({ name: 'foreign', environment })).key,
  };
}

/**
 * Registers the whole adapter table for one framework (version) under vitest.
 *
 * @example
 * ```ts
 * describeAdapterCases({ name: 'express 5', start: (keyward, options) => listenOnLoopback(makeApp(keyward, options)) });
 * ```
 */
export function describeAdapterCases(harness: AdapterHarness | RemoteHarness): void {
  describe(`${harness.name}: adapter table`, () => {
    let f: Fixture;
    let app: RunningApp;
    beforeAll(async () => {
      f = await fixture(harness);
      app = await f.start({ trustOneProxy: false });
    });
    afterAll(() => app?.close());

    it('leaves an open route open', async () => {
      const reply = await send(`${app.url}/open`);
      expect(reply.status).toBe(200);
    });

    it('lets a valid key through, hands the handler its id and sends rate-limit headers', async () => {
      const { key, id } = await f.issue({
        rateLimit: { capacity: 5, refillPerSecond: 1 },
        quota: { limit: 100, period: 'day' },
      });
      const reply = await send(`${app.url}/read`, bearer(key));
      expectSuccess(reply, id);
      expect(reply.headers['ratelimit']).toBe('"key";r=4;t=0, "quota";r=99;t=0');
      expect(reply.headers['ratelimit-policy']).toBe('"key";q=5;w=5, "quota";q=100;w=86400');
    });

    it('accepts the key in X-API-Key and a matching Referer', async () => {
      const { key, id } = await f.issue({ referrers: ['https://app.example.com/*'] });
      const reply = await send(`${app.url}/read`, {
        'x-api-key': key,
        referer: 'https://app.example.com/page',
      });
      expectSuccess(reply, id);
    });

    it('accepts a key whose IP allow-list holds 127.0.0.1', async () => {
      const { key, id } = await f.issue({ ips: ['127.0.0.1/32'] });
      expectSuccess(await send(`${app.url}/read`, bearer(key)), id);
    });

    it('lets an admin key reach the admin route', async () => {
      const { key, id } = await f.issue({ scopes: ['items:*'] });
      expectSuccess(await send(`${app.url}/admin`, bearer(key)), id);
    });

    const dropsEmpty = 'deploy' in harness ? harness.dropsLeadingEmptyAuthorization : undefined;
    for (const c of REJECTIONS) {
      it(`rejects ${c.name} with ${c.status} ${c.code}`, async (ctx) => {
        if (c.leadingEmptyAuthorization === true && dropsEmpty !== undefined) ctx.skip(dropsEmpty);
        const headers = await c.headers(f);
        const url = `${app.url}${c.path ?? '/read'}`;
        for (let i = 0; i < (c.warmups ?? 0); i++) {
          expect((await send(url, headers)).status).toBe(200);
        }
        expectRejection(await send(url, headers), c.code, c.status);
      });
    }
  });

  describe(`${harness.name}: store outages`, () => {
    for (const mode of ['reject', 'throw'] as const) {
      it(`answers 503 store_unavailable when the key store's getKey ${mode}s`, async () => {
        const deployment = await deploy(harness, {
          keyStore: mode === 'reject' ? 'rejecting' : 'throwing',
          cacheMax: 0,
        });
        const { key } = await deployment.keyward.create({ name: 'outage', scopes: ['items:read'] });
        const app = await deployment.start({ trustOneProxy: false });
        try {
          expectRejection(await send(`${app.url}/read`, bearer(key)), 'store_unavailable', 503);
        } finally {
          await app.close();
        }
      });
    }
  });

  describe(`${harness.name}: a key store that answers asynchronously`, () => {
    let keyward: KeyIssuer;
    let app: RunningApp;
    beforeAll(async () => {
      const deployment = await deploy(harness, { keyStore: 'async', cacheMax: 0 });
      keyward = deployment.keyward;
      app = await deployment.start({ trustOneProxy: false });
    });
    afterAll(() => app?.close());

    it('verifies through the Promise path and sends rate-limit headers', async () => {
      const { key, record } = await keyward.create({
        name: 'async',
        scopes: ['items:read'],
        rateLimit: { capacity: 3, refillPerSecond: 1 },
      });
      const reply = await send(`${app.url}/read`, bearer(key));
      expectSuccess(reply, record.id);
      expect(reply.headers['ratelimit']).toBe('"key";r=2;t=0');
    });

    it('rejects through the Promise path', async () => {
      const { key } = await keyward.create({ name: 'async', scopes: ['items:read'] });
      expectRejection(await send(`${app.url}/admin`, bearer(key)), 'insufficient_scope', 403);
      const foreign = createKeyward({ prefix: 'acme' });
      const other = (await foreign.create({ name: 'x', environment: 'live' })).key;
      expectRejection(await send(`${app.url}/read`, bearer(other)), 'invalid_key', 401);
    });
  });

  describe(`${harness.name}: repeated bad keys from one client`, () => {
    it('answers 429 too_many_failures once the client IP is throttled', async () => {
      const f = await fixture(harness, {
        failedAttempts: { capacity: 2, refillPerSecond: 0.001 },
      });
      const app = await f.start({ trustOneProxy: false });
      try {
        const bad = bearer(await f.foreignKey('live'));
        for (let i = 0; i < 2; i++) {
          expectRejection(await send(`${app.url}/read`, bad), 'invalid_key', 401);
        }
        expectRejection(await send(`${app.url}/read`, bad), 'too_many_failures', 429);
      } finally {
        await app.close();
      }
    });

    it('keeps serving a key in use (its record cached) to a throttled client, and nothing else', async () => {
      const f = await fixture(harness, {
        failedAttempts: { capacity: 2, refillPerSecond: 0.001 },
      });
      const app = await f.start({ trustOneProxy: false });
      try {
        const working = await f.issue();
        const idle = await f.issue();
        expectSuccess(await send(`${app.url}/read`, bearer(working.key)), working.id);
        // A stranger at the same address sends junk until the address is throttled.
        const junk = bearer(await f.foreignKey('live'));
        for (let i = 0; i < 3; i++) await send(`${app.url}/read`, junk);
        expectRejection(await send(`${app.url}/read`, junk), 'too_many_failures', 429);
        expectSuccess(await send(`${app.url}/read`, bearer(working.key)), working.id);
        expectRejection(
          await send(`${app.url}/admin`, bearer(working.key)),
          'insufficient_scope',
          403,
        );
        expectRejection(await send(`${app.url}/read`, bearer(idle.key)), 'too_many_failures', 429);
        expectRejection(
          await send(`${app.url}/read`, bearer('acme_live_nonsense')),
          'too_many_failures',
          429,
        );
        // Past the cache's freshness the key still works: its matching secret earns a store read.
        await f.clock.advance(31_000);
        expectSuccess(await send(`${app.url}/read`, bearer(working.key)), working.id);
      } finally {
        await app.close();
      }
    });
  });

  describe(`${harness.name}: client IP and trust proxy`, () => {
    const spoofed = '203.0.113.7';
    let f: Fixture;
    let direct: RunningApp;
    let proxied: RunningApp;
    beforeAll(async () => {
      f = await fixture(harness);
      direct = await f.start({ trustOneProxy: false });
      proxied = await f.start({ trustOneProxy: true });
    });
    afterAll(async () => {
      await direct?.close();
      await proxied?.close();
    });

    it('ignores a spoofed X-Forwarded-For when no proxy is trusted', async () => {
      const { key } = await f.issue({ ips: [`${spoofed}/32`] });
      const headers = { ...bearer(key), 'x-forwarded-for': spoofed };
      expectRejection(await send(`${direct.url}/read`, headers), 'ip_not_allowed', 403);
    });

    it('uses the socket address when no proxy is trusted', async () => {
      const { key, id } = await f.issue({ ips: ['127.0.0.1'] });
      const headers = { ...bearer(key), 'x-forwarded-for': spoofed };
      expectSuccess(await send(`${direct.url}/read`, headers), id);
    });

    it('uses the address one trusted hop reports', async () => {
      const { key, id } = await f.issue({ ips: [`${spoofed}/32`] });
      const headers = { ...bearer(key), 'x-forwarded-for': spoofed };
      expectSuccess(await send(`${proxied.url}/read`, headers), id);
      const local = await f.issue({ ips: ['127.0.0.1'] });
      expectRejection(
        await send(`${proxied.url}/read`, { ...bearer(local.key), 'x-forwarded-for': spoofed }),
        'ip_not_allowed',
        403,
      );
    });

    it('trusts only one hop: an earlier, client-written entry does not count', async () => {
      const { key } = await f.issue({ ips: ['198.51.100.9/32'] });
      const headers = { ...bearer(key), 'x-forwarded-for': `198.51.100.9, ${spoofed}` };
      expectRejection(await send(`${proxied.url}/read`, headers), 'ip_not_allowed', 403);
    });
  });
}
