import { gunzipSync } from 'node:zlib';
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { listenOnLoopback } from '../../../test-support/adapter-cases.js';
import { CONTENT_SECURITY_POLICY, createConsole, type KeywardConsole } from '../src/index.js';

let keyward: Keyward;
let app: KeywardConsole;
let admin: { key: string; id: string };

beforeEach(async () => {
  keyward = createKeyward({
    prefix: 'acme',
    store: new MemoryStore(),
    failedAttempts: false,
    alerts: { onAlert: () => {} },
  });
  const issued = await keyward.create({ name: 'admin', scopes: ['keyward:admin'] });
  admin = { key: issued.key, id: issued.record.id };
  app = createConsole(keyward, { basePath: '/keyward' });
});
afterEach(async () => {
  app.close();
  await keyward.close();
});

const URL_BASE = 'http://console.test';

function call(
  method: string,
  path: string,
  options: { body?: unknown; key?: string | null; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? admin.key : options.key;
  if (key !== null) headers['authorization'] = `Bearer ${key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = body;
  return app.fetch(new Request(`${URL_BASE}/keyward/api${path}`, init));
}

async function expectProblem(response: Response, status: number, code: string) {
  const body = (await response.json()) as Record<string, unknown>;
  expect({ status: response.status, code: body['code'] }).toEqual({ status, code });
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return body;
}

describe('createConsole options', () => {
  it.each([['keyward'], ['/keyward/'], ['/a b'], ['/a/../b'.replace('..', '%2e')], [42]])(
    'refuses basePath %j with a TypeError naming it',
    (basePath) => {
      expect(() => createConsole(keyward, { basePath: basePath as string })).toThrow(/basePath/);
    },
  );
  it('refuses empty scopes, a bad scope and a bad alert buffer size', () => {
    expect(() => createConsole(keyward, { scopes: [] })).toThrow(/scopes/);
    expect(() => createConsole(keyward, { scopes: ['bad scope'] })).toThrow(TypeError);
    expect(() => createConsole(keyward, { alertBufferSize: 0 })).toThrow(/alertBufferSize/);
  });
  it('mounts at the root with basePath ""', async () => {
    const root = createConsole(keyward, { basePath: '' });
    const response = await root.fetch(new Request(`${URL_BASE}/`));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('src="/assets/app.');
    root.close();
  });
});

describe('the page and its assets', () => {
  it('serves the page with a strict CSP, no inline script or style, and no cookie', async () => {
    const response = await app.fetch(new Request(`${URL_BASE}/keyward/`));
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('set-cookie')).toBeNull();
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style=/);
    expect(html).toContain('<meta name="keyward-console-base" content="/keyward">');
  });

  it('serves the hashed assets, gzipped when accepted, cached for good', async () => {
    const html = await (await app.fetch(new Request(`${URL_BASE}/keyward/`))).text();
    const script = /src="(\/keyward\/assets\/app\.[0-9a-f]{12}\.js)"/.exec(html)![1]!;
    const style = /href="(\/keyward\/assets\/app\.[0-9a-f]{12}\.css)"/.exec(html)![1]!;
    const plain = await app.fetch(new Request(`${URL_BASE}${script}`));
    expect(plain.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('content-encoding')).toBeNull();
    const text = await plain.text();
    const gzipped = await app.fetch(
      new Request(`${URL_BASE}${script}`, { headers: { 'accept-encoding': 'gzip, br' } }),
    );
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    const bytes = new Uint8Array(await gzipped.arrayBuffer());
    expect(gunzipSync(bytes).toString('utf8')).toBe(text);
    const css = await app.fetch(new Request(`${URL_BASE}${style}`));
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('redirects the bare base path, refuses unknown pages and non-GET methods', async () => {
    const bare = await app.fetch(new Request(`${URL_BASE}/keyward`));
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/keyward/');
    await expectProblem(
      await app.fetch(new Request(`${URL_BASE}/keyward/assets/app.js`)),
      404,
      'not_found',
    );
    await expectProblem(
      await app.fetch(new Request(`${URL_BASE}/keyward/`, { method: 'POST' })),
      405,
      'method_not_allowed',
    );
    await expectProblem(await app.fetch(new Request(`${URL_BASE}/other`)), 404, 'not_found');
    expect(app.handles('/keyward/api/keys')).toBe(true);
    expect(app.handles('/keywardx')).toBe(false);
  });
});

describe('admin sign-in', () => {
  it('answers the session of an admin key with its id', async () => {
    const response = await call('GET', '/session');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ keyId: admin.id });
  });

  it('refuses no key, a malformed key, a key without the admin scope and a revoked admin key', async () => {
    await expectProblem(await call('GET', '/keys', { key: null }), 401, 'missing_key');
    await expectProblem(await call('GET', '/keys', { key: 'acme_live_x' }), 401, 'malformed_key');
    const plain = await keyward.create({ name: 'not admin', scopes: ['keyward:read'] });
    await expectProblem(await call('GET', '/keys', { key: plain.key }), 403, 'insufficient_scope');
    await keyward.revoke(admin.id);
    await expectProblem(await call('GET', '/keys'), 401, 'revoked_key');
  });

  it('ignores a key in a cookie or the query string', async () => {
    await expectProblem(
      await call('GET', `/session?api_key=${admin.key}`, { key: null }),
      401,
      'missing_key',
    );
    await expectProblem(
      await call('GET', '/session', { key: null, headers: { cookie: `key=${admin.key}` } }),
      401,
      'missing_key',
    );
  });

  it('takes the admin scopes from the options', async () => {
    const custom = createConsole(keyward, { scopes: ['ops:keys'] });
    const response = await custom.fetch(
      new Request(`${URL_BASE}/keyward/api/session`, {
        headers: { authorization: `Bearer ${admin.key}` },
      }),
    );
    await expectProblem(response, 403, 'insufficient_scope');
    custom.close();
  });
});

describe('managing keys', () => {
  it('creates a key, returns the full key once, and records the console as the actor', async () => {
    const response = await call('POST', '/keys', {
      body: { name: 'ci', scopes: ['invoices:read'], ips: ['10.0.0.0/8'], reason: 'new CI' },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { key, record } = (await response.json()) as { key: string; record: { id: string } };
    expect(key).toMatch(/^acme_live_/);
    const verified = await keyward.verify({
      headers: { authorization: `Bearer ${key}` },
      ip: '10.1.2.3',
    });
    expect(verified.ok).toBe(true);
    const [entry] = (await keyward.audit({ keyId: record.id })).items;
    expect(entry).toMatchObject({
      type: 'key.created',
      actor: { type: 'console', id: admin.id },
      reason: 'new CI',
    });
    // The key is in no later answer.
    const got = await (await call('GET', `/keys/${record.id}`)).text();
    expect(got).not.toContain(key.slice(-20));
    const listed = await (await call('GET', '/keys')).text();
    expect(listed).not.toContain(key.slice(-20));
  });

  it('creates a publishable key with routes, and refuses one without an origin (#14)', async () => {
    const response = await call('POST', '/keys', {
      body: {
        name: 'storefront',
        type: 'publishable',
        referrers: ['https://shop.example.com/*'],
        routes: ['GET /catalog/*'],
      },
    });
    expect(response.status).toBe(201);
    const { key, record } = (await response.json()) as {
      key: string;
      record: { id: string; type: string; routes: string[] };
    };
    expect(key).toMatch(/^acme_pk_live_/);
    expect(record).toMatchObject({ type: 'publishable', routes: ['GET /catalog/*'] });
    const missing = await expectProblem(
      await call('POST', '/keys', { body: { name: 'x', type: 'publishable' } }),
      400,
      'invalid_options',
    );
    expect(String(missing['detail'])).toMatch(/referrer/);
    const route = await expectProblem(
      await call('POST', '/keys', { body: { name: 'x', routes: ['GET /a/**/b'] } }),
      400,
      'invalid_options',
    );
    expect(String(route['detail'])).toContain('GET /a/**/b');
  });

  it('refuses a bad CIDR with keyward’s message naming the entry', async () => {
    const body = await expectProblem(
      await call('POST', '/keys', { body: { name: 'x', ips: ['10.0.0.1/33'] } }),
      400,
      'invalid_options',
    );
    expect(body['detail']).toContain('10.0.0.1/33');
  });

  it.each([
    ['no name', { scopes: [] }, 'invalid_request'],
    ['an unknown field', { name: 'x', hash: 'h' }, 'invalid_request'],
    ['scopes not a list', { name: 'x', scopes: 'a b' }, 'invalid_request'],
    ['a list holding a number', { name: 'x', ips: [1] }, 'invalid_request'],
    ['a bad type', { name: 'x', type: 'admin' }, 'invalid_request'],
    ['a bad date', { name: 'x', expiresAt: 'tomorrow' }, 'invalid_request'],
    ['a bad scope', { name: 'x', scopes: ['a b'] }, 'invalid_options'],
    [
      'a rate limit of 0',
      { name: 'x', rateLimit: { capacity: 0, refillPerSecond: 1 } },
      'invalid_options',
    ],
    ['a metadata list', { name: 'x', metadata: [1] }, 'invalid_request'],
  ])('refuses a create with %s (400)', async (_name, body, code) => {
    await expectProblem(await call('POST', '/keys', { body }), 400, code);
  });

  it('refuses bodies that are not a JSON object, not JSON, or too large', async () => {
    await expectProblem(await call('POST', '/keys', { body: '[1]' }), 400, 'invalid_request');
    await expectProblem(await call('POST', '/keys', { body: '{"name":' }), 400, 'invalid_request');
    await expectProblem(
      await call('POST', '/keys', { body: 'name=x', headers: { 'content-type': 'text/plain' } }),
      415,
      'unsupported_media_type',
    );
    await expectProblem(
      await call('POST', '/keys', { body: { name: 'x', metadata: { a: 'x'.repeat(70_000) } } }),
      413,
      'body_too_large',
    );
  });

  it('rotates with a grace: a new key, the old one valid until the grace ends', async () => {
    const { key, record } = await keyward.create({ name: 'r' });
    const response = await call('POST', `/keys/${record.id}/rotate`, {
      body: { gracePeriodMs: 3_600_000, reason: 'yearly' },
    });
    expect(response.status).toBe(200);
    const rotated = (await response.json()) as { key: string; record: Record<string, unknown> };
    expect(rotated.key).not.toBe(key);
    expect(rotated.record['previousSecretExpiresAt']).toBeTypeOf('string');
    for (const k of [key, rotated.key]) {
      expect((await keyward.verify({ headers: { 'x-api-key': k } })).ok).toBe(true);
    }
    const entries = (await keyward.audit({ keyId: record.id })).items;
    expect(entries.at(-1)).toMatchObject({
      type: 'key.rotated',
      actor: { type: 'console', id: admin.id },
      reason: 'yearly',
    });
    await expectProblem(
      await call('POST', `/keys/${record.id}/rotate`, { body: { gracePeriodMs: -1 } }),
      400,
      'invalid_request',
    );
  });

  it('revokes with a reason, disables and enables, each audited with the console actor', async () => {
    const { key, record } = await keyward.create({ name: 'v' });
    const disabled = await call('POST', `/keys/${record.id}/disable`, { body: {} });
    expect(((await disabled.json()) as { disabled: boolean }).disabled).toBe(true);
    const enabled = await call('POST', `/keys/${record.id}/enable`, { body: {} });
    expect(((await enabled.json()) as { disabled: boolean }).disabled).toBe(false);
    const revoked = await call('POST', `/keys/${record.id}/revoke`, { body: { reason: 'leak' } });
    expect(await revoked.json()).toMatchObject({ revokedReason: 'leak' });
    const result = await keyward.verify({ headers: { 'x-api-key': key } });
    expect(result.ok ? 'ok' : result.code).toBe('revoked_key');
    const entries = (await keyward.audit({ keyId: record.id })).items;
    expect(entries.map((e) => [e.type, e.actor?.type, e.actor?.id])).toEqual([
      ['key.created', undefined, undefined],
      ['key.disabled', 'console', admin.id],
      ['key.enabled', 'console', admin.id],
      ['key.revoked', 'console', admin.id],
    ]);
  });

  it('updates restrictions and limits, refuses a stale version and an unknown key', async () => {
    const { record } = await keyward.create({ name: 'u', scopes: ['a:read'] });
    const response = await call('PATCH', `/keys/${record.id}`, {
      body: {
        scopes: ['a:*'],
        ips: ['192.0.2.0/24'],
        quota: { limit: 100, period: 'day' },
        expectedVersion: record.version,
      },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ scopes: ['a:*'], ips: ['192.0.2.0/24'] });
    const removed = await call('PATCH', `/keys/${record.id}`, { body: { ips: null } });
    expect(((await removed.json()) as { ips?: unknown }).ips).toBeUndefined();
    await expectProblem(
      await call('PATCH', `/keys/${record.id}`, { body: { name: 'z', expectedVersion: 1 } }),
      409,
      'version_conflict',
    );
    const bad = await expectProblem(
      await call('PATCH', `/keys/${record.id}`, { body: { ips: ['0x7f.1'] } }),
      400,
      'invalid_options',
    );
    expect(bad['detail']).toContain('0x7f.1');
    await expectProblem(
      await call('PATCH', `/keys/${record.id}`, { body: { disabled: 'yes' } }),
      400,
      'invalid_request',
    );
    await expectProblem(
      await call('PATCH', '/keys/AAAAAAAAAAAA', { body: { name: 'z' } }),
      404,
      'key_not_found',
    );
    await expectProblem(await call('GET', '/keys/AAAAAAAAAAAA'), 404, 'key_not_found');
    await expectProblem(await call('GET', '/keys/..%2f..'), 404, 'key_not_found');
    await expectProblem(await call('DELETE', `/keys/${record.id}`), 405, 'method_not_allowed');
    await expectProblem(await call('GET', '/nothing'), 404, 'not_found');
  });
});

describe('reading', () => {
  it('lists a page with a cursor and refuses bad filters', async () => {
    for (let i = 0; i < 5; i++) await keyward.create({ name: `k${i}`, ownerId: 'acct_1' });
    const first = (await (await call('GET', '/keys?ownerId=acct_1&limit=3')).json()) as {
      items: { name: string }[];
      cursor?: string;
    };
    expect(first.items).toHaveLength(3);
    const second = (await (
      await call('GET', `/keys?ownerId=acct_1&limit=3&cursor=${first.cursor}`)
    ).json()) as { items: unknown[]; cursor?: string };
    expect(second.items).toHaveLength(2);
    expect(second.cursor).toBeUndefined();
    await expectProblem(await call('GET', '/keys?limit=0'), 400, 'invalid_request');
    await expectProblem(await call('GET', '/keys?limit=abc'), 400, 'invalid_request');
    await expectProblem(await call('GET', '/keys?status=gone'), 400, 'invalid_request');
    await expectProblem(await call('GET', '/keys?type=admin'), 400, 'invalid_request');
    // Any environment name is a filter (#14); one that is no name is refused by core.
    await expectProblem(await call('GET', '/keys?environment=pk'), 400, 'invalid_options');
    await expectProblem(
      await call('GET', `/keys?search=${'x'.repeat(300)}`),
      400,
      'invalid_request',
    );
  });

  it('filters by search (name substring or exact id) and status', async () => {
    const billing = await keyward.create({ name: 'Billing export' });
    const other = await keyward.create({ name: 'reports' });
    await keyward.revoke(other.record.id);
    const names = async (query: string) =>
      ((await (await call('GET', `/keys?${query}`)).json()) as { items: { name: string }[] }).items
        .map((k) => k.name)
        .sort();
    expect(await names('search=billing')).toEqual(['Billing export']);
    expect(await names(`search=${billing.record.id}`)).toEqual(['Billing export']);
    expect(await names('status=revoked')).toEqual(['reports']);
    expect(await names('status=active')).toEqual(['Billing export', 'admin']);
  });

  it('gives usage by outcome for 1h, 24h and 30d, top routes, and 24 h sparklines', async () => {
    const { key, record } = await keyward.create({ name: 'busy', scopes: ['a:read'] });
    await keyward.verify({ headers: { 'x-api-key': key }, method: 'GET', url: '/a', route: '/a' });
    await keyward.verify({ headers: { 'x-api-key': key } }, { scopes: ['b:write'] });
    await keyward.flush();
    for (const [range, buckets] of [
      ['1h', 60],
      ['24h', 24],
      ['30d', 30],
    ] as const) {
      const usage = (await (
        await call('GET', `/keys/${record.id}/usage?range=${range}`)
      ).json()) as {
        points: { outcomes: Record<string, number> }[];
        routes: { route: string; total: number }[];
      };
      expect(usage.points.length).toBeGreaterThanOrEqual(buckets);
      expect(usage.points.length).toBeLessThanOrEqual(buckets + 1);
      const sum = (outcome: string) =>
        usage.points.reduce((n, p) => n + (p.outcomes[outcome] ?? 0), 0);
      expect([sum('verified'), sum('insufficient_scope')]).toEqual([1, 1]);
      expect(usage.routes.find((r) => r.route === 'GET /a')).toMatchObject({ total: 1 });
    }
    await expectProblem(
      await call('GET', `/keys/${record.id}/usage?range=1y`),
      400,
      'invalid_request',
    );
    const sparks = (await (
      await call('GET', `/sparklines?ids=${record.id},${admin.id}`)
    ).json()) as {
      series: Record<string, number[]>;
    };
    expect(sparks.series[record.id]!.reduce((a, b) => a + b, 0)).toBe(2);
    expect(sparks.series[record.id]!.length).toBeGreaterThanOrEqual(24);
    const many = Array.from({ length: 101 }, () => record.id).join(',');
    await expectProblem(await call('GET', `/sparklines?ids=${many}`), 400, 'invalid_request');
    await expectProblem(await call('GET', '/sparklines?ids=a;b'), 400, 'invalid_request');
  });

  it('answers usage with 501 where keyward has no usage store; sparklines are then empty', async () => {
    const bare = createKeyward({ prefix: 'acme', store: new MemoryStore(), usage: false });
    const { key } = await bare.create({ name: 'a', scopes: ['keyward:admin'] });
    const c = createConsole(bare);
    const get = (path: string) =>
      c.fetch(
        new Request(`${URL_BASE}/keyward/api${path}`, {
          headers: { authorization: `Bearer ${key}` },
        }),
      );
    const { record } = await bare.create({ name: 'b' });
    await expectProblem(await get(`/keys/${record.id}/usage`), 501, 'no_usage_store');
    expect(await (await get(`/sparklines?ids=${record.id}`)).json()).toEqual({ series: {} });
    c.close();
    await bare.close();
  });

  it('pages the audit trail, and filters it by key', async () => {
    const { record } = await keyward.create({ name: 'a' });
    await call('POST', `/keys/${record.id}/revoke`, { body: {} });
    const all = (await (await call('GET', '/audit?limit=2')).json()) as {
      items: unknown[];
      cursor?: string;
    };
    expect(all.items).toHaveLength(2);
    expect(all.cursor).toBeTypeOf('string');
    const mine = (await (await call('GET', `/audit?keyId=${record.id}`)).json()) as {
      items: { type: string }[];
    };
    expect(mine.items.map((e) => e.type)).toEqual(['key.created', 'key.revoked']);
    await expectProblem(await call('GET', '/audit?limit=501'), 400, 'invalid_request');
  });

  it('keeps the newest alerts in a bounded buffer from creation on', async () => {
    const small = createConsole(keyward, { alertBufferSize: 2 });
    const get = async (path: string) =>
      (await small
        .fetch(
          new Request(`${URL_BASE}/keyward/api${path}`, {
            headers: { authorization: `Bearer ${admin.key}` },
          }),
        )
        .then((r) => r.json())) as { items: { kind: string; keyId?: string }[]; dropped: number };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { key, record } = await keyward.create({ name: `leaked ${i}` });
      await keyward.revoke(record.id);
      await keyward.verify({ headers: { 'x-api-key': key } });
      ids.push(record.id);
    }
    // keyward raises alerts off the request path: wait for the third.
    await vi.waitFor(async () => expect((await get('/alerts')).dropped).toBe(1), {
      timeout: 10_000,
    });
    const all = await get('/alerts');
    expect(all.items.map((a) => [a.kind, a.keyId])).toEqual([
      ['revoked_key_used', ids[2]],
      ['revoked_key_used', ids[1]],
    ]);
    expect(all.dropped).toBe(1);
    expect((await get(`/alerts?keyId=${ids[1]}`)).items).toHaveLength(1);
    small.close();
    // After close, the buffer stops collecting.
    const { key, record } = await keyward.create({ name: 'later' });
    await keyward.revoke(record.id);
    await keyward.verify({ headers: { 'x-api-key': key } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await get('/alerts')).items.map((a) => a.keyId)).not.toContain(record.id);
  });

  it('runs an access review with the given policy and refuses a bad one', async () => {
    await keyward.create({ name: 'wild', scopes: ['*'] });
    const review = (await (await call('GET', '/review?unusedDays=30')).json()) as {
      findings: { kind: string; name: string }[];
    };
    expect(review.findings).toContainEqual(
      expect.objectContaining({ kind: 'wildcard_scope', name: 'wild' }),
    );
    await expectProblem(await call('GET', '/review?unusedDays=0'), 400, 'invalid_request');
  });
});

describe('toNodeHandler', () => {
  it('serves under its base path in Express, passes other paths on, and reads a body Express parsed', async () => {
    const server = express();
    server.use(express.json());
    server.use(app.toNodeHandler());
    server.get('/other', (_req, res) => res.json({ other: true }));
    const running = await listenOnLoopback(server);
    try {
      const other = await fetch(`${running.url}/other`);
      expect(await other.json()).toEqual({ other: true });
      const created = await fetch(`${running.url}/keyward/api/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'via express' }),
      });
      expect(created.status).toBe(201);
      const page = await fetch(`${running.url}/keyward/`);
      expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    } finally {
      await running.close();
    }
  });

  it('answers 404 outside the base path on a bare node:http server, and streams a body itself', async () => {
    const handler = app.toNodeHandler();
    const running = await listenOnLoopback((req, res) => handler(req, res));
    try {
      expect((await fetch(`${running.url}/elsewhere`)).status).toBe(404);
      const created = await fetch(`${running.url}/keyward/api/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'via node' }),
      });
      expect(created.status).toBe(201);
      const huge = await fetch(`${running.url}/keyward/api/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x'.repeat(200_000) }),
      });
      expect(huge.status).toBe(413);
    } finally {
      await running.close();
    }
  });

  it('writes nothing to the process console, never the key', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => {}),
    );
    try {
      const created = await call('POST', '/keys', { body: { name: 'quiet' } });
      const { record } = (await created.json()) as { record: { id: string } };
      await call('POST', `/keys/${record.id}/rotate`, { body: {} });
      await call('POST', '/keys', { body: { name: 'x', ips: ['bad'] } });
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
