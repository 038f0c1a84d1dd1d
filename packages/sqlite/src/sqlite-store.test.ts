import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyRecord } from '@keyward/core';
import { describeKeyStore, describeLimitStore } from '@keyward/core/testing';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from './schema.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'keyward-sqlite-'));
const opened: SqliteStore[] = [];
const databases: Database.Database[] = [];
let files = 0;

function open(path = join(dir, `store-${files++}.db`)): SqliteStore {
  const store = new SqliteStore({ path });
  opened.push(store);
  return store;
}

afterAll(() => {
  for (const store of opened) store.close();
  for (const db of databases) db.close();
  rmSync(dir, { recursive: true, force: true });
});

let shared: SqliteStore | undefined;
const sharedStore = () => {
  shared ??= open();
  return shared;
};
describeKeyStore('SqliteStore', sharedStore);
describeLimitStore('SqliteStore', sharedStore);

let ids = 0;
function record(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: `rec${String(ids++).padStart(9, '0')}`,
    environment: 'live',
    name: 'sqlite test',
    hash: 'sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
    scopes: ['invoices:read'],
    disabled: false,
    createdAt: 1_700_000_000_123,
    updatedAt: 1_700_000_000_456,
    version: 1,
    ...overrides,
  };
}

describe('SqliteStore — file and connections', () => {
  it('opens in WAL mode and records its schema version', () => {
    const store = open();
    expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal');
    const row = store.database
      .prepare("SELECT value FROM keyward_meta WHERE name = 'schema_version'")
      .get() as { value: string };
    expect(Number(row.value)).toBe(SCHEMA_VERSION);
  });

  describe('file modes (umask 022, the usual default)', () => {
    let umask = 0;
    beforeAll(() => {
      umask = process.umask(0o022);
    });
    afterAll(() => {
      process.umask(umask);
    });
    const modeOf = (path: string) => statSync(path).mode & 0o777;

    it('creates a new file, its -wal and its -shm readable by the owner only (0600)', () => {
      const path = join(dir, 'private.db');
      const store = open(path);
      store.insertKey(record());
      expect(modeOf(path).toString(8)).toBe('600');
      expect(modeOf(`${path}-wal`).toString(8)).toBe('600');
      expect(modeOf(`${path}-shm`).toString(8)).toBe('600');
    });

    it('leaves an existing file’s mode alone (its -wal and -shm follow it)', () => {
      const path = join(dir, 'shared.db');
      new Database(path).close();
      chmodSync(path, 0o640);
      const store = open(path);
      store.insertKey(record());
      expect(modeOf(path).toString(8)).toBe('640');
      expect(modeOf(`${path}-wal`).toString(8)).toBe('640');
      expect(modeOf(`${path}-shm`).toString(8)).toBe('640');
    });

    it('creates no file for :memory:', () => {
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        open(':memory:').insertKey(record());
        expect(existsSync(join(dir, ':memory:'))).toBe(false);
      } finally {
        process.chdir(cwd);
      }
    });

    it('reports a missing directory as before, creating nothing', () => {
      const path = join(dir, 'no-such-dir', 'x.db');
      expect(() => new SqliteStore({ path })).toThrow(/directory does not exist/);
      expect(existsSync(join(dir, 'no-such-dir'))).toBe(false);
    });
  });

  it('reopens an existing file without losing data (schema creation is idempotent)', () => {
    const path = join(dir, 'reopen.db');
    const first = open(path);
    const stored = record({ metadata: { a: [1, null] } });
    first.insertKey(stored);
    first.close();
    const second = open(path);
    expect(second.getKey(stored.id)).toStrictEqual(stored);
  });

  it('refuses a file written by a newer schema version', () => {
    const path = join(dir, 'newer.db');
    open(path)
      .database.prepare("UPDATE keyward_meta SET value = '99' WHERE name = 'schema_version'")
      .run();
    expect(() => new SqliteStore({ path })).toThrow(/schema version 99/);
  });

  it('round-trips every field exactly, including fractional numbers and JSON nulls', () => {
    const store = open();
    const full = record({
      ownerId: 'acct_42',
      previousHash: 'hmac-sha256:v2:abc',
      previousHashExpiresAt: 1_900_000_000_001,
      scopes: [],
      ips: ['10.0.0.0/8', '::1'],
      referrers: ['https://*.example.com/*'],
      rateLimit: { capacity: 2.5, refillPerSecond: 1 / 3 },
      quota: { limit: 10, period: 'minute' },
      expiresAt: 1_999_999_999_999,
      disabled: true,
      revokedAt: 1_800_000_000_000,
      revokedReason: '',
      metadata: { n: null, deep: { list: [null, 0, -1.5, 'x', false] }, unicode: 'ünï 🔑' },
      rotatedAt: 1_750_000_000_007,
      version: 42,
    });
    store.insertKey(full);
    expect(store.getKey(full.id)).toStrictEqual(full);
    const bare = record({ id: 'bare00000001' });
    store.insertKey(bare);
    const read = store.getKey(bare.id)!;
    expect(read).toStrictEqual(bare);
    expect(Object.keys(read).sort()).toStrictEqual(Object.keys(bare).sort());
  });

  it('two connections to one file see each other’s writes', () => {
    const path = join(dir, 'two.db');
    const a = open(path);
    const b = open(path);
    const r = record();
    a.insertKey(r);
    expect(b.getKey(r.id)).toStrictEqual(r);
    expect(() => b.insertKey(r)).toThrow(expect.objectContaining({ code: 'duplicate_key_id' }));
    const limit = { capacity: 2, refillPerSecond: 0.001 };
    const now = Date.now();
    expect(a.takeToken('shared', limit, 1, now).allowed).toBe(true);
    expect(b.takeToken('shared', limit, 1, now).allowed).toBe(true);
    expect(a.takeToken('shared', limit, 1, now).allowed).toBe(false);
    const quota = { limit: 1, period: 'day' as const };
    expect(b.countQuota('q', quota, 1, now).allowed).toBe(true);
    expect(a.countQuota('q', quota, 1, now).allowed).toBe(false);
  });

  it('lets exactly one of two connections update one version', () => {
    const path = join(dir, 'race.db');
    const a = open(path);
    const b = open(path);
    const r = record();
    a.insertKey(r);
    const fromA = a.updateKey({ ...r, name: 'by a', version: 2 }, 1);
    const fromB = b.updateKey({ ...r, name: 'by b', version: 2 }, 1);
    expect([fromA, fromB]).toStrictEqual([true, false]);
    expect(b.getKey(r.id)?.name).toBe('by a');
    expect(b.updateKey({ ...r, name: 'by b', version: 3 }, 2)).toBe(true);
    expect(a.getKey(r.id)?.version).toBe(3);
  });

  it('uses a database it is given, creating the schema there, and leaves it open on close', () => {
    const db = new Database(join(dir, 'given.db'));
    databases.push(db);
    const store = new SqliteStore({ database: db });
    const r = record();
    store.insertKey(r);
    store.close();
    expect(db.open).toBe(true);
    expect(new SqliteStore({ database: db }).getKey(r.id)).toStrictEqual(r);
  });

  it('closes a database it opened itself', () => {
    const store = open();
    store.close();
    expect(store.database.open).toBe(false);
    store.close();
  });

  it('answers synchronously (never a Promise)', () => {
    const store = open();
    const r = record();
    expect(store.insertKey(r)).toBeUndefined();
    expect(store.getKey(r.id)).not.toBeInstanceOf(Promise);
    expect(store.updateKey({ ...r, version: 2 }, 1)).toBe(true);
    expect(store.listKeys({ limit: 10 })).not.toBeInstanceOf(Promise);
    expect(store.takeToken('b', { capacity: 1, refillPerSecond: 1 }, 1, 0)).not.toBeInstanceOf(
      Promise,
    );
  });

  it('rejects bad options with a TypeError', () => {
    // @ts-expect-error neither path nor database
    expect(() => new SqliteStore({})).toThrow(TypeError);
    // @ts-expect-error both
    expect(() => new SqliteStore({ path: 'x.db', database: {} })).toThrow(TypeError);
    expect(() => new SqliteStore({ path: '' })).toThrow(TypeError);
  });
});

describe('SqliteStore — list query plans', () => {
  /** The SQL and parameters of each listing, captured as the store prepares and runs them. */
  function planOf(store: SqliteStore, query: Parameters<SqliteStore['listKeys']>[0]): string {
    const db = store.database;
    const prepare = db.prepare.bind(db);
    let captured: { sql: string; params: unknown } | undefined;
    db.prepare = ((sql: string) => {
      const statement = prepare(sql);
      const all = statement.all.bind(statement);
      statement.all = ((params: unknown) => {
        captured = { sql, params };
        return all(params as never);
      }) as typeof statement.all;
      return statement;
    }) as typeof db.prepare;
    try {
      store.listKeys(query);
    } finally {
      db.prepare = prepare as typeof db.prepare;
    }
    if (captured === undefined) throw new Error('listKeys ran no statement');
    const rows = prepare(`EXPLAIN QUERY PLAN ${captured.sql}`).all(captured.params as never);
    return (rows as { detail: string }[]).map((row) => row.detail).join('\n');
  }

  it.each([
    [{ status: 'revoked' as const }, 'keyward_keys_revoked'],
    [{ status: 'disabled' as const }, 'keyward_keys_disabled'],
    [{ status: 'expired' as const }, 'keyward_keys_usable'],
    [{ status: 'active' as const }, 'keyward_keys_usable'],
    [{ search: 'billing' }, 'keyward_keys_list'],
    [{ environment: 'live' as const, status: 'disabled' as const }, 'keyward_keys_disabled'],
    [{ environment: 'live' as const, search: 'ci' }, 'keyward_keys_list'],
  ])('reads %j through the index %s (schema step 5), never a table scan', (filters, index) => {
    const store = open();
    for (let i = 0; i < 20; i++) store.insertKey(record({ disabled: i % 2 === 0 }));
    const plan = planOf(store, { limit: 50, now: Date.now(), ...filters });
    expect(plan).toContain(index);
    expect(plan).not.toMatch(/SCAN keyward_keys(?! USING)/);
  });
});
