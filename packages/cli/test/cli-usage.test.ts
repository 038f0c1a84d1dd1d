import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyward } from '@keyward/core';
import { SqliteStore } from '@keyward/sqlite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sparkline } from '../src/commands/usage.js';
import { escapeControl } from '../src/terminal-text.js';
import { assertBuilt, runBin } from './run-bin.js';

assertBuilt();
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const cwd = mkdtempSync(join(tmpdir(), 'keyward-cli-usage-'));
const db = join(cwd, 'keyward.db');
const run = (args: readonly string[]) =>
  runBin(args, { cwd, env: { KEYWARD_DB: db, KEYWARD_PREFIX: 'acme' } });
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

let used: { key: string; id: string };
let idle: string;
/** When the usage was recorded (the API process's clock is held there). */
let recordedAt: number;

const HOUR = 3_600_000;
/**
 * The sparkline `keyward usage` draws at `now` over its default range: one character per UTC hour
 * from the hour 24 h before `now` through `now`'s hour, █ in the hour the usage was recorded.
 */
function expectedSparkline(now: number): string {
  const from = Math.floor((now - 24 * HOUR) / HOUR) * HOUR;
  const to = Math.ceil(now / HOUR) * HOUR;
  const recordedHour = Math.floor(recordedAt / HOUR) * HOUR;
  return Array.from({ length: (to - from) / HOUR }, (_, i) =>
    from + i * HOUR === recordedHour ? '█' : '▁',
  ).join('');
}

beforeAll(async () => {
  // An API process on the same file: verifications on two routes (one named with an escape
  // sequence), one rejected, flushed on close. The key's name holds a bidi override (names
  // cannot hold control characters, but they may hold that). Its clock is held at one instant so
  // all five fall in one hour bucket, whose place in the CLI's range the test computes.
  recordedAt = Date.now();
  const store = new SqliteStore({ path: db });
  const keyward = createKeyward({ prefix: 'acme', store, clock: () => recordedAt });
  const created = await keyward.create({ name: 'billing \u202esync', environment: 'live' });
  used = { key: created.key, id: created.record.id };
  idle = (await keyward.create({ name: 'idle', environment: 'live' })).record.id;
  const request = (route: string) => ({
    headers: { authorization: `Bearer ${created.key}` },
    method: 'GET',
    route,
  });
  for (let i = 0; i < 3; i++) keyward.verify(request('/invoices/:id'));
  keyward.verify(request('/evil\u001b[2J'));
  keyward.verify(request('/invoices/:id'), { scopes: ['invoices:write'] });
  await keyward.close();
  store.close();
});

describe('keyward usage', () => {
  it('prints a title, a sparkline and a table of the buckets with usage', async () => {
    // The CLI's range ends at its own now, somewhere between these two: an hour boundary may
    // have passed since the usage was recorded, or during the run.
    const before = Date.now();
    const result = await run(['usage', used.id]);
    const after = Date.now();
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toContain(
      `${used.id} (billing \\u202esync) — last 24h, last used ${new Date(recordedAt).toISOString()}`,
    );
    expect(lines[1]).toBe('5 verifications by hour');
    expect([expectedSparkline(before), expectedSparkline(after)]).toContain(lines[3]);
    expect(lines[5]).toMatch(/^START \(UTC\)\s+TOTAL\s+VERIFIED\s+REJECTED\s+REJECTIONS$/);
    const recordedHour = `${new Date(recordedAt).toISOString().slice(0, 13).replace('T', ' ')}:00`;
    expect(lines[6]).toMatch(
      new RegExp(`^${recordedHour}\\s+5\\s+4\\s+1\\s+insufficient_scope 1$`),
    );
    expect(lines[7]).toBe('');
    expect(result.stdout).not.toMatch(/[\u001b\u202e]/);
  });

  it('prints per-route totals with --routes, escaping control characters', async () => {
    const result = await run(['usage', used.id, '--routes', '--since', '2h', '--by', 'minute']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/GET \/invoices\/:id\s+4\s+3\s+1\s+insufficient_scope 1/);
    expect(result.stdout).toContain('GET /evil\\x1b[2J');
    expect(result.stdout).not.toContain('\u001b');
  });

  it('prints JSON with --json', async () => {
    const byDay = JSON.parse((await run(['usage', used.id, '--by', 'day', '--json'])).stdout);
    expect(byDay.key.id).toBe(used.id);
    const totals = byDay.points.map((p: { total: number }) => p.total);
    expect(totals.reduce((a: number, b: number) => a + b, 0)).toBe(5);
    const routes = JSON.parse((await run(['usage', used.id, '--routes', '--json'])).stdout).routes;
    expect(routes[0]).toEqual({
      route: 'GET /invoices/:id',
      total: 4,
      cost: 4,
      outcomes: { verified: 3, insufficient_scope: 1 },
    });
  });

  it('says so when a key has no usage', async () => {
    const result = await run(['usage', idle]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('last used never');
    expect(result.stdout).toContain('no usage in this range');
  });

  it.each([
    [['usage', 'nope'], 2],
    [['usage', 'AAAAAAAAAAAA'], 3],
    [['usage', 'AAAAAAAAAAAA', '--by', 'week'], 2],
    [['usage', 'AAAAAAAAAAAA', '--since', 'yesterday'], 2],
    [['usage', 'AAAAAAAAAAAA', '--since', '0h'], 2],
  ])('%j exits %i', async (args, code) => {
    const result = await run(args);
    expect(result.code).toBe(code);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('keyward usage (limits)', () => {
  it('refuses a range of more buckets than usage() allows, with exit code 2', async () => {
    const result = await run(['usage', used.id, '--since', '365d', '--by', 'minute']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('MAX_USAGE_BUCKETS');
  });
});

describe('keyward list', () => {
  it('shows when each key was last used', async () => {
    const result = await run(['list']);
    expect(result.code, result.stderr).toBe(0);
    const lineOf = (id: string) => result.stdout.split('\n').find((line) => line.startsWith(id));
    expect(lineOf(used.id)).toMatch(/\sactive\s+20\d\d-\d\d-\d\dT[\d:.]+Z\s/);
    expect(lineOf(idle)).toMatch(/\sactive\s+never\s/);
  });
});

describe('escapeControl (the one terminal escaping function) and sparkline', () => {
  it('escapes C0, DEL, C1 and bidi controls and marks and keeps other text', () => {
    expect(escapeControl('a\u0000b\u001b[0m\u007f\u0085\u202e\u200f\u061cé✓')).toBe(
      'a\\x00b\\x1b[0m\\x7f\\x85\\u202e\\u200f\\u061cé✓',
    );
  });

  it('scales to the largest value, ▁ meaning none', () => {
    expect(sparkline([0, 1, 2, 4, 8])).toBe('▁▃▄▅█');
    expect(sparkline([0, 0])).toBe('▁▁');
  });
});
