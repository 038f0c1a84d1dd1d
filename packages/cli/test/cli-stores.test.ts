import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DATABASE_URL, REDIS_URL, serviceAvailable } from '../../../test-support/services.js';
import { testPool } from '../../postgres/test/pg-fixture.js';
import { assertBuilt, runBin } from './run-bin.js';

assertBuilt();
// Each test spawns the binary a few times; a loaded 2-core machine needs more than the default.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const cwd = mkdtempSync(join(tmpdir(), 'keyward-cli-stores-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** The store package is built (the CLI imports its dist) and its service answers. */
async function usable(name: 'redis' | 'postgres'): Promise<boolean> {
  const dist = fileURLToPath(new URL(`../../${name}/dist/index.js`, import.meta.url));
  if (!existsSync(dist)) {
    console.warn(`skipping keyward --store ${name} tests: @keyward/${name} is not built`);
    return false;
  }
  return serviceAvailable(name);
}

const postgresUsable = await usable('postgres');
/**
 * The CLI uses the default table names; a schema of this run's own (through `search_path`) keeps
 * them apart from every other run's on the shared test database.
 */
const schema = `keyward_cli_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const admin = postgresUsable ? testPool({ max: 1 }) : undefined;
await admin?.query(`CREATE SCHEMA "${schema}"`);
afterAll(async () => {
  await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin?.end();
});
const postgresUrl = new URL(DATABASE_URL);
postgresUrl.searchParams.set('options', `-c search_path=${schema}`);

const stores = [
  ['redis', REDIS_URL, await usable('redis')],
  ['postgres', postgresUrl.href, postgresUsable],
] as const;

describe.each(stores)('keyward --store %s', (_name, url, available) => {
  const run = (args: readonly string[]) =>
    runBin(['--store', url, ...args], { cwd, env: { KEYWARD_PREFIX: 'acme' } });

  it.skipIf(!available)('creates, lists, verifies, rotates and revokes a key', async () => {
    const owner = `acct_cli_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const created = await run([
      'create',
      '--name',
      'cli',
      '--owner',
      owner,
      '--scopes',
      'a:read',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const { key, record } = JSON.parse(created.stdout) as { key: string; record: { id: string } };
    const listed = await run(['list', '--owner', owner, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout).items as { id: string }[]).map((i) => i.id)).toStrictEqual([
      record.id,
    ]);
    expect((await run(['verify', key, '--scope', 'a:read'])).code).toBe(0);
    const rotated = await run(['rotate', record.id, '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const next = (JSON.parse(rotated.stdout) as { key: string }).key;
    expect((await run(['verify', key])).code).toBe(1);
    expect((await run(['revoke', record.id, '--reason', 'test'])).code).toBe(0);
    const revoked = await run(['verify', next]);
    expect(revoked.code).toBe(1);
    expect(revoked.stdout).toMatch(/^revoked_key 401/);
    expect((await run(['show', '000000000000'])).code).toBe(3);
  });
});

/** A running API process's keyward on the store `url` names, and how to shut it down. */
async function runningApi(name: 'redis' | 'postgres') {
  const { createKeyward, MemoryStore } = await import('@keyward/core');
  const cache = { ttlMs: 600_000 };
  if (name === 'redis') {
    const [{ Redis }, { RedisStore }] = await Promise.all([
      import('ioredis'),
      import('@keyward/redis'),
    ]);
    const client = new Redis(REDIS_URL);
    const store = new RedisStore({ client });
    const keyward = createKeyward({ prefix: 'acme', store, cache });
    return {
      keyward,
      url: REDIS_URL,
      stop: async () => {
        await keyward.close();
        store.close();
        await client.quit();
      },
    };
  }
  const [{ default: pg }, { migrate, PostgresStore }] = await Promise.all([
    import('pg'),
    import('@keyward/postgres'),
  ]);
  // This run's own schema (see above): the shared database's public schema may hold another
  // version's tables, which migrate() rightly refuses.
  const pool = new pg.Pool({ connectionString: postgresUrl.href, max: 2 });
  pool.on('error', () => {});
  await migrate(pool); // the CLI's table: keyward_keys
  const store = new PostgresStore({ pool });
  const keyward = createKeyward({
    prefix: 'acme',
    keyStore: store,
    limitStore: new MemoryStore(),
    cache,
  });
  return {
    keyward,
    url: postgresUrl.href,
    stop: async () => {
      await keyward.close();
      store.close();
      await pool.end();
    },
  };
}

describe.each(stores)('keyward --store %s with a running API', (name, _url, available) => {
  it.skipIf(!available)(
    'revoking from the CLI drops the key from a running process’s cache at once',
    async () => {
      const api = await runningApi(name);
      try {
        const { keyward } = api;
        const { key, record } = await keyward.create({ name: 'cached' });
        const request = { headers: { authorization: `Bearer ${key}` } };
        expect((await keyward.verify(request)).ok).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const revoke = await runBin(['--store', api.url, 'revoke', record.id], {
          cwd,
          env: { KEYWARD_PREFIX: 'acme' },
        });
        expect(revoke.code, revoke.stderr).toBe(0);
        let code: string | undefined;
        for (let i = 0; i < 50 && code !== 'revoked_key'; i++) {
          const result = await keyward.verify(request);
          code = result.ok ? 'ok' : result.code;
          if (code !== 'revoked_key') await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(code).toBe('revoked_key');
      } finally {
        await api.stop();
      }
    },
  );
});

describe('keyward --store (unreachable)', () => {
  it.each([
    ['redis', 'redis://127.0.0.1:1'],
    ['postgres', 'postgres://root@127.0.0.1:1/none'],
  ] as const)('exits 4 with one line when %s does not answer', async (name, url) => {
    const built = existsSync(
      fileURLToPath(new URL(`../../${name}/dist/index.js`, import.meta.url)),
    );
    const result = await runBin(['--store', url, 'list'], {
      cwd,
      env: { KEYWARD_PREFIX: 'acme' },
    });
    expect(result.code).toBe(4);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(built ? 'ECONNREFUSED' : `@keyward/${name}`);
  });
});
