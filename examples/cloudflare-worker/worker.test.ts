// The example Worker, bundled as wrangler would and run in workerd by miniflare with the bindings
// wrangler.toml declares: real KV, real Durable Objects, real HTTP requests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const ADMIN_TOKEN = 'example-admin-token';

/** wrangler.toml's tables and their `key = value` lines (values here are JSON strings or arrays). */
function wranglerToml(): { table: string; values: Record<string, unknown> }[] {
  const tables = [{ table: '', values: {} as Record<string, unknown> }];
  for (const line of readFileSync(here('./wrangler.toml'), 'utf8').split('\n')) {
    const text = line.trim();
    const header = /^\[\[?([^\]]+)\]\]?$/.exec(text);
    const pair = /^(\w+) = (.+)$/.exec(text);
    if (header) tables.push({ table: header[1]!, values: {} });
    else if (pair) tables[tables.length - 1]!.values[pair[1]!] = JSON.parse(pair[2]!);
  }
  return tables;
}

/** The settings the Worker runs with, read from wrangler.toml itself. */
function wranglerConfig() {
  const tables = wranglerToml();
  const table = (name: string) => tables.find((each) => each.table === name)?.values ?? {};
  const objects = table('durable_objects.bindings');
  const sqlite = table('migrations').new_sqlite_classes as string[] | undefined;
  return {
    main: table('').main as string,
    compatibilityDate: table('').compatibility_date as string,
    kv: table('kv_namespaces').binding as string,
    durableObject: { name: objects.name as string, className: objects.class_name as string },
    sqlite: sqlite?.includes(objects.class_name as string) ?? false,
  };
}

let mf: Miniflare;
beforeAll(async () => {
  const config = wranglerConfig();
  expect(config).toMatchObject({
    main: 'src/worker.ts',
    kv: 'KEYS',
    durableObject: { name: 'LIMITS', className: 'KeywardLimits' },
    sqlite: true,
  });
  const bundle = await build({
    entryPoints: [here(`./${config.main}`)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    alias: {
      '@keyward/core': here('../../packages/core/src/index.ts'),
      '@keyward/cloudflare': here('../../packages/cloudflare/src/index.ts'),
      '@keyward/fetch': here('../../packages/fetch/src/index.ts'),
    },
  });
  mf = new Miniflare({
    modules: true,
    script: bundle.outputFiles[0]!.text,
    compatibilityDate: config.compatibilityDate,
    kvNamespaces: [config.kv],
    durableObjects: {
      [config.durableObject.name]: {
        className: config.durableObject.className,
        useSQLite: config.sqlite,
      },
    },
    bindings: { ADMIN_TOKEN },
  });
  await mf.ready;
});
afterAll(async () => {
  await mf?.dispose();
});

async function request(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  const response = await mf.dispatchFetch(`http://api.example${path}`, {
    ...init,
    headers: { 'cf-connecting-ip': '203.0.113.9', ...init.headers },
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
}

const asAdmin = { 'x-admin-token': ADMIN_TOKEN };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function createKey(options: Record<string, unknown>) {
  const created = await request('/admin/keys', {
    method: 'POST',
    headers: asAdmin,
    body: JSON.stringify(options),
  });
  expect(created.status).toBe(201);
  return created.body as { key: string; id: string };
}

describe('the Cloudflare Worker example', () => {
  it('serves a key with the right scope, with rate-limit headers', async () => {
    const { key } = await createKey({ name: 'reader', scopes: ['invoices:read'] });
    const response = await request('/invoices', { headers: bearer(key) });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ by: 'reader' });
  });

  it('rejects with the problem document of each case', async () => {
    const { key } = await createKey({ name: 'reader', scopes: ['invoices:read'] });
    const missing = await request('/invoices');
    expect([missing.status, missing.body?.code]).toStrictEqual([401, 'missing_key']);
    expect(missing.headers['content-type']).toBe('application/problem+json');
    expect(missing.headers['www-authenticate']).toBeDefined();
    // The last character changed (never to itself: it is the checksum's, so 1 key in 62 ends in x).
    const badChecksum = `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
    const malformed = await request('/invoices', { headers: bearer(badChecksum) });
    expect([malformed.status, malformed.body?.code]).toStrictEqual([401, 'malformed_key']);
    const scope = await request('/invoices', { method: 'POST', headers: bearer(key) });
    expect([scope.status, scope.body?.code]).toStrictEqual([403, 'insufficient_scope']);
    const twoKeys = await request('/invoices', {
      headers: { ...bearer(key), 'x-api-key': `${key.slice(0, -6)}AAAAAA` },
    });
    expect([twoKeys.status, twoKeys.body?.code]).toStrictEqual([400, 'ambiguous_key']);
    expect(JSON.stringify([missing, malformed, scope, twoKeys])).not.toContain(key.slice(-49));
  });

  it('matches an IP allow-list against the CF-Connecting-IP the edge gives', async () => {
    const { key } = await createKey({
      name: 'office',
      scopes: ['invoices:read'],
      ips: ['203.0.113.0/24'],
    });
    const inside = await request('/invoices', { headers: bearer(key) });
    expect(inside.status).toBe(200);
    const outside = await request('/invoices', {
      headers: { ...bearer(key), 'cf-connecting-ip': '198.51.100.7' },
    });
    expect([outside.status, outside.body?.code]).toStrictEqual([403, 'ip_not_allowed']);
  });

  it('limits a key in its Durable Object: 429 with Retry-After once the bucket is empty', async () => {
    const { key } = await createKey({
      name: 'writer',
      scopes: ['invoices:read', 'invoices:write'],
      rateLimit: { capacity: 10, refillPerSecond: 0.01 },
    });
    const first = await request('/invoices', { method: 'POST', headers: bearer(key) });
    expect(first.status).toBe(201);
    expect(first.headers.ratelimit).toBe('"key";r=5;t=0');
    expect((await request('/invoices', { method: 'POST', headers: bearer(key) })).status).toBe(201);
    const limited = await request('/invoices', { headers: bearer(key) });
    expect([limited.status, limited.body?.code]).toStrictEqual([429, 'rate_limited']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(90);
  });

  it('revokes a key: the next request gets 401 revoked_key', async () => {
    const { key, id } = await createKey({ name: 'soon gone', scopes: ['invoices:read'] });
    expect((await request('/invoices', { headers: bearer(key) })).status).toBe(200);
    const revoked = await request(`/admin/keys/${id}`, { method: 'DELETE', headers: asAdmin });
    expect(revoked.status).toBe(204);
    const after = await request('/invoices', { headers: bearer(key) });
    expect([after.status, after.body?.code]).toStrictEqual([401, 'revoked_key']);
  });

  it('keeps the admin routes closed without the token and refuses bad input', async () => {
    const noToken = await request('/admin/keys', { method: 'POST', body: '{"name":"x"}' });
    expect([noToken.status, noToken.body?.code]).toStrictEqual([401, 'admin_token_required']);
    const wrong = await request('/admin/keys', {
      method: 'POST',
      headers: { 'x-admin-token': `${ADMIN_TOKEN}x` },
      body: '{"name":"x"}',
    });
    expect([wrong.status, wrong.body?.code]).toStrictEqual([401, 'admin_token_required']);
    for (const body of ['not json', 'null', '{"name":"x","scopes":["bad scope"]}']) {
      const bad = await request('/admin/keys', { method: 'POST', headers: asAdmin, body });
      expect([bad.status, bad.body?.code]).toStrictEqual([400, 'invalid_options']);
    }
    const unknown = await request('/admin/keys/000000000000', {
      method: 'DELETE',
      headers: asAdmin,
    });
    expect([unknown.status, unknown.body?.code]).toStrictEqual([404, 'key_not_found']);
  });
});
