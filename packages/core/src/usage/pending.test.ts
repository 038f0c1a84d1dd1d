import { describe, expect, it } from 'vitest';
import { MAX_ROUTES, PendingUsage } from './pending.js';
import type { UsageRow } from './types.js';

const T = Date.UTC(2030, 5, 1, 12, 30, 15);
const sortRows = (rows: UsageRow[]) =>
  [...rows].sort((a, b) =>
    `${a.keyId}|${a.minute}|${a.outcome}|${a.route}` <
    `${b.keyId}|${b.minute}|${b.outcome}|${b.route}`
      ? -1
      : 1,
  );

describe('PendingUsage', () => {
  it('keeps rows apart by key, minute (also before its base), outcome and route, and hands them over once', () => {
    const pending = new PendingUsage(1000);
    const a = pending.routeIndex('GET', '/a/:id');
    const b = pending.routeIndex('POST', '/b');
    pending.add('key1', 'acct', T, 'verified', a, 1, T);
    pending.add('key1', 'acct', T + 1000, 'verified', a, 2, T + 1000);
    pending.add('key1', 'acct', T, 'rate_limited', a, 1, T + 5);
    pending.add('key1', 'acct', T - 2 * 3_600_000, 'verified', b, 1, T - 2 * 3_600_000);
    pending.add('key2', undefined, T + 61_000, 'invalid_key', 0, 1, 0);
    const minute = T - (T % 60_000);
    expect(pending.lastUsedOf('key1')).toBe(T + 1000);
    expect(pending.lastUsedOf('key2')).toBe(0);
    const taken = pending.take();
    expect(sortRows(taken.rows)).toEqual(
      sortRows([
        {
          keyId: 'key1',
          ownerId: 'acct',
          minute,
          outcome: 'verified',
          route: 'GET /a/:id',
          count: 2,
          cost: 3,
        },
        {
          keyId: 'key1',
          ownerId: 'acct',
          minute,
          outcome: 'rate_limited',
          route: 'GET /a/:id',
          count: 1,
          cost: 1,
        },
        {
          keyId: 'key1',
          ownerId: 'acct',
          minute: minute - 7_200_000,
          outcome: 'verified',
          route: 'POST /b',
          count: 1,
          cost: 1,
        },
        {
          keyId: 'key2',
          minute: minute + 60_000,
          outcome: 'invalid_key',
          route: '',
          count: 1,
          cost: 1,
        },
      ]),
    );
    expect(taken.lastUsed).toEqual(new Map([['key1', T + 1000]]));
    expect(pending.rows).toBe(0);
    expect(pending.take().rows).toEqual([]);
  });

  it('stays exact for a key with many rows (indexed past a few)', () => {
    const pending = new PendingUsage(10_000);
    const routes = Array.from({ length: 40 }, (_, i) => pending.routeIndex('GET', `/r${i}`));
    for (let pass = 0; pass < 3; pass++) {
      for (const route of routes) pending.add('busy', undefined, T, 'verified', route, 1, 0);
    }
    const { rows } = pending.take();
    expect(rows).toHaveLength(40);
    expect(rows.every((row) => row.count === 3)).toBe(true);
    expect(new Set(rows.map((row) => row.route)).size).toBe(40);
  });

  it(`keeps at most ${MAX_ROUTES} distinct routes, and none longer than 256 characters; the rest count under ""`, () => {
    const pending = new PendingUsage(10_000);
    for (let i = 0; i < MAX_ROUTES + 50; i++) pending.routeIndex('GET', `/r${i}`);
    expect(pending.routeIndex('GET', '/one-too-many')).toBe(0);
    expect(pending.routeIndex('GET', '/r5')).toBeGreaterThan(0);
    const fresh = new PendingUsage(10);
    expect(fresh.routeIndex('GET', `/${'x'.repeat(300)}`)).toBe(0);
    expect(fresh.routeIndex(undefined, '/no-method')).toBeGreaterThan(0);
    expect(fresh.routeIndex('GET', undefined)).toBe(0);
    fresh.add('k', undefined, T, 'verified', fresh.routeIndex(undefined, '/no-method'), 1, 0);
    expect(fresh.take().rows[0]?.route).toBe('* /no-method');
  });
});
