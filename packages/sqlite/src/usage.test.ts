import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyward } from '@keyward/core';
import { describeUsageStore } from '@keyward/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'keyward-sqlite-usage-'));
const opened: SqliteStore[] = [];
let files = 0;

function open(path = join(dir, `usage-${files++}.db`)): SqliteStore {
  const store = new SqliteStore({ path });
  opened.push(store);
  return store;
}

afterAll(() => {
  for (const store of opened) store.close();
  rmSync(dir, { recursive: true, force: true });
});

const sharedPath = join(dir, 'shared.db');
let shared: SqliteStore | undefined;
let other: SqliteStore | undefined;
describeUsageStore(
  'SqliteStore',
  () => {
    shared ??= open(sharedPath);
    return shared;
  },
  {
    secondWriter: () => {
      other ??= open(sharedPath);
      return other;
    },
  },
);

describe('SqliteStore — usage retention', () => {
  it('refuses a bad usageRetentionDays with a TypeError, before opening anything', () => {
    const path = join(dir, 'never.db');
    expect(() => new SqliteStore({ path, usageRetentionDays: { minute: 0 } })).toThrow(TypeError);
    expect(() => new SqliteStore({ path, usageRetentionDays: { minute: 30, hour: 7 } })).toThrow(
      TypeError,
    );
  });

  it('keeps minute rows for usageRetentionDays.minute days, then counts them per hour', () => {
    const store = new SqliteStore({
      path: join(dir, 'retention.db'),
      usageRetentionDays: { minute: 1 },
    });
    opened.push(store);
    const minute = Date.UTC(2032, 5, 1, 8, 30);
    store.recordUsage(
      [{ keyId: 'RetainedKey1', minute, outcome: 'verified', route: 'GET /a', count: 4, cost: 4 }],
      new Map(),
    );
    const read = (granularity: 'minute' | 'hour') =>
      store.queryUsage({
        keyId: 'RetainedKey1',
        from: minute - 3_600_000,
        to: minute + 3_600_000,
        granularity,
        groupBy: 'route',
      });
    store.pruneUsage(minute + 86_400_000 - 60_000);
    expect(read('minute')).toHaveLength(1);
    store.pruneUsage(minute + 86_400_000 + 60_000);
    expect(read('minute')).toEqual([]);
    expect(read('hour')).toEqual([
      { start: minute - 3_600_000, route: 'GET /a', outcome: 'verified', count: 4, cost: 4 },
    ]);
  });

  it('records and reads usage through keyward, synchronously on the request path', async () => {
    const store = open();
    const keyward = createKeyward({ prefix: 'acme', store, usage: { flushIntervalMs: 60_000 } });
    const { key, record } = await keyward.create({ name: 'flow', environment: 'live' });
    for (let i = 0; i < 3; i++) {
      const result = keyward.verify({
        headers: { authorization: `Bearer ${key}` },
        method: 'GET',
        route: '/invoices/:id',
      });
      expect(result).not.toBeInstanceOf(Promise);
    }
    await keyward.close();
    const { routes } = await keyward.usage({
      keyId: record.id,
      from: Date.now() - 3_600_000,
      to: Date.now() + 60_000,
      groupBy: 'route',
    });
    expect(routes).toEqual([
      { route: 'GET /invoices/:id', total: 3, cost: 3, outcomes: { verified: 3 } },
    ]);
    expect((await keyward.get(record.id))?.lastUsedAt).toBeInstanceOf(Date);
  });
});
