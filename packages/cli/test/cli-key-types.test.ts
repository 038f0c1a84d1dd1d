import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '@keyward/sqlite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { assertBuilt, type RunResult, runBin } from './run-bin.js';

assertBuilt();
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const cwd = mkdtempSync(join(tmpdir(), 'keyward-cli-types-'));
const db = join(cwd, 'keyward.db');
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const run = (args: readonly string[], env: Record<string, string> = {}) =>
  runBin(args, { cwd, env: { KEYWARD_DB: db, KEYWARD_PREFIX: 'acme', ...env } });
const json = (result: RunResult) => {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
};
const noStack = (result: RunResult) => expect(result.stderr).not.toMatch(/^\s+at /m);

interface Issued {
  key: string;
  record: {
    id: string;
    type: string;
    environment: string;
    routes?: string[];
    referrers?: string[];
    rateLimit?: unknown;
  };
}

let browser: Issued;
let staging: Issued;

beforeAll(async () => {
  browser = json(
    await run([
      'create',
      '--name',
      'shop widget',
      '--env',
      'staging',
      '--type',
      'publishable',
      '--origins',
      'https://shop.example.com,http://localhost:5173',
      '--routes',
      'GET /invoices/*,POST /reports/**',
      '--json',
    ]),
  ) as unknown as Issued;
  staging = json(
    await run([
      'create',
      '--name',
      'staging job',
      '--env',
      'staging',
      '--referrers',
      'https://a.example.com/*,https://*.b.example.com/*',
      '--json',
    ]),
  ) as unknown as Issued;
});

describe('keyward create — environments, types, routes, origins', () => {
  it('issues a publishable key of any environment with origins and routes', () => {
    expect(browser.key.startsWith(`acme_pk_staging_${browser.record.id}_`)).toBe(true);
    expect(browser.record).toMatchObject({
      type: 'publishable',
      environment: 'staging',
      routes: ['GET /invoices/*', 'POST /reports/**'],
      referrers: ['https://shop.example.com/*', 'http://localhost:5173/*'],
    });
    // A publishable key always has a rate limit: the deployment's default when none is given.
    expect(browser.record.rateLimit).toBeDefined();
  });

  it('takes --referrers as a comma-separated list; a key is secret by default', () => {
    expect(staging.key.startsWith(`acme_staging_${staging.record.id}_`)).toBe(true);
    expect(staging.record).toMatchObject({
      type: 'secret',
      referrers: ['https://a.example.com/*', 'https://*.b.example.com/*'],
    });
    expect(staging.record.routes).toBeUndefined();
  });

  it('lets a publishable key hold only --publishable-scopes', async () => {
    const flags = ['create', '--name', 'w', '--type', 'publishable', '--origins'];
    const refused = await run([...flags, 'https://x.example.com', '--scopes', 'catalog:read']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('catalog:read');
    noStack(refused);
    const allowed = await run(
      [...flags, 'https://x.example.com', '--scopes', 'catalog:read', '--json'],
      { KEYWARD_PUBLISHABLE_SCOPES: 'catalog:read' },
    );
    expect((json(allowed).record as { scopes: string[] }).scopes).toStrictEqual(['catalog:read']);
  });
});

describe('keyward list and show — type and routes', () => {
  it('shows TYPE and ROUTES columns and filters with --type', async () => {
    const table = await run(['list']);
    expect(table.code, table.stderr).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(
      /^ID\s+ENV\s+TYPE\s+STATUS\s+LAST USED\s+NAME\s+OWNER\s+EXPIRES\s+ROUTES\s+SCOPES$/,
    );
    const row = rows.find((line) => line.startsWith(browser.record.id));
    expect(row).toMatch(/\sstaging\s+publishable\s+active\s/);
    expect(row).toContain('GET /invoices/*,POST /reports/**');
    const ids = async (type: string) =>
      ((json(await run(['list', '--type', type, '--json'])).items as { id: string }[]) ?? []).map(
        (item) => item.id,
      );
    expect(await ids('publishable')).toContain(browser.record.id);
    expect(await ids('publishable')).not.toContain(staging.record.id);
    expect(await ids('secret')).toContain(staging.record.id);
    expect(await ids('secret')).not.toContain(browser.record.id);
  });

  it('shows the type and routes of a key', async () => {
    const shown = await run(['show', browser.record.id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^type\s+publishable$/m);
    expect(shown.stdout).toMatch(/^routes\s+GET \/invoices\/\*, POST \/reports\/\*\*$/m);
    const secret = await run(['show', staging.record.id]);
    expect(secret.stdout).toMatch(/^type\s+secret$/m);
    expect(secret.stdout).toMatch(/^routes\s+\(any\)$/m);
  });

  it('escapes control and bidi characters of routes written to the store by hand', async () => {
    const store = new SqliteStore({ path: db });
    const record = store.getKey(staging.record.id)!;
    store.updateKey(
      { ...record, routes: ['GET /a\u202eb', 'GET /\u001b[2J'], version: record.version + 1 },
      record.version,
    );
    store.close();
    const listed = await run(['list', '--type', 'secret']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('GET /a\\u202eb,GET /\\x1b[2J');
    expect(listed.stdout).not.toMatch(/[\u001b\u202e]/);
    const shown = await run(['show', staging.record.id]);
    expect(shown.stdout).toContain('GET /a\\u202eb, GET /\\x1b[2J');
    expect(shown.stdout).not.toMatch(/[\u001b\u202e]/);
  });
});

describe('keyward update — routes', () => {
  it('replaces routes with --routes and removes them with --clear-routes', async () => {
    const { id } = browser.record;
    const updated = json(await run(['update', id, '--routes', 'GET /health', '--json']));
    expect(updated.routes).toStrictEqual(['GET /health']);
    const cleared = json(await run(['update', id, '--clear-routes', '--json']));
    expect(cleared.routes).toBeUndefined();
    expect(cleared.type).toBe('publishable');
  });
});

describe('keyward verify and scan — environments and publishable keys', () => {
  it('verifies a key of the environments given with --environments (or KEYWARD_ENVIRONMENTS)', async () => {
    const key = (
      json(await run(['create', '--name', 'v', '--env', 'staging', '--json'])) as unknown as Issued
    ).key;
    const refused = await run(['verify', key]);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain('wrong_environment');
    expect((await run(['verify', key, '--environments', 'live,staging'])).code).toBe(0);
    expect((await run(['verify', key], { KEYWARD_ENVIRONMENTS: 'staging' })).code).toBe(0);
  });

  it('finds keys of any environment and publishable keys', async () => {
    const file = join(cwd, 'leaky.js');
    writeFileSync(file, `const a = '${browser.key}';\nconst b = '${staging.key}';\n`);
    const result = await run(['scan', file], {});
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`:1:12: acme_pk_staging_${browser.record.id}_…`);
    expect(result.stdout).toContain(`:2:12: acme_staging_${staging.record.id}_…`);
    expect(result.stdout + result.stderr).not.toContain(browser.key);
  });
});

describe('keyward — bad values of the #14 flags', () => {
  it.each([
    [
      ['create', '--name', 'x', '--env', 'Staging'],
      ['--env', "'Staging'"],
    ],
    [
      ['create', '--name', 'x', '--env', 'pk'],
      ['--env', "'pk'"],
    ],
    [
      ['create', '--name', 'x', '--env', 'averylongenv'],
      ['--env', "'averylongenv'"],
    ],
    [
      ['create', '--name', 'x', '--type', 'public'],
      ['--type', "'public'"],
    ],
    [
      ['create', '--name', 'x', '--routes', 'GET invoices'],
      ['--routes[0]', 'GET invoices'],
    ],
    [
      ['create', '--name', 'x', '--routes', 'GET /a,GET /b/**/c'],
      ['--routes[1]', 'GET /b/**/c'],
    ],
    [['create', '--name', 'x', '--routes', ','], ['--routes']],
    [
      ['create', '--name', 'x', '--origins', 'https://shop.example.com/app'],
      ['--origins', 'https://shop.example.com/app'],
    ],
    [
      ['create', '--name', 'x', '--origins', 'ftp://x.example.com'],
      ['--origins', 'ftp://'],
    ],
    [
      ['create', '--name', 'x', '--referrers', 'https://ok.example.com/*,https://a/b*c'],
      ['--referrers', 'https://a/b*c'],
    ],
    [
      ['create', '--name', 'x', '--referrer', 'https://a/b*c'],
      ['--referrer', 'https://a/b*c'],
    ],
    [['create', '--name', 'x', '--type', 'publishable'], ['referrers']],
    [
      ['list', '--type', 'both'],
      ['--type', "'both'"],
    ],
    [
      ['list', '--env', 'LIVE'],
      ['--env', "'LIVE'"],
    ],
    [
      ['list', '--environments', 'live,Test'],
      ['--environments', "'Test'"],
    ],
    [['update', '<id>', '--type', 'secret'], ['--type']],
    [
      ['update', '<id>', '--routes', 'GET /a', '--clear-routes'],
      ['--routes', '--clear-routes'],
    ],
  ])('exits 2 on %j, naming the flag and the entry', async (args, named) => {
    const result = await run(args.map((arg) => (arg === '<id>' ? browser.record.id : arg)));
    expect(result.code, result.stderr).toBe(2);
    for (const text of named) expect(result.stderr).toContain(text);
    noStack(result);
  });

  it('exits 2 on a bad KEYWARD_ENVIRONMENTS, naming it', async () => {
    const result = await run(['list'], { KEYWARD_ENVIRONMENTS: 'live,pk' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("KEYWARD_ENVIRONMENTS: 'pk'");
  });
});
