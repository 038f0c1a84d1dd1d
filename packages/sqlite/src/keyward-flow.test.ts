import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyward, type VerifyResult } from '@keyward/core';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'keyward-sqlite-flow-'));
const store = new SqliteStore({ path: join(dir, 'keyward.db') });
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const isPromise = (value: unknown) => typeof (value as { then?: unknown })?.then === 'function';
const request = (key: string, ip = '10.1.2.3') => ({
  headers: { authorization: `Bearer ${key}` },
  ip,
});

describe('SqliteStore under keyward', () => {
  it('runs the full lifecycle with a synchronous verify on every cache miss', async () => {
    const keyward = createKeyward({
      prefix: 'acme',
      store,
      cache: { max: 0 },
      pepper: 'a pepper of at least sixteen chars',
    });
    const { key, record } = await keyward.create({
      name: 'flow',
      environment: 'live',
      ownerId: 'acct_flow',
      scopes: ['invoices:read'],
      ips: ['10.0.0.0/8'],
      rateLimit: { capacity: 2, refillPerSecond: 0.001 },
      quota: { limit: 100, period: 'day' },
      metadata: { team: 'billing' },
    });
    const first = keyward.verify(request(key), { scopes: ['invoices:read'] });
    expect(isPromise(first)).toBe(false);
    expect((first as VerifyResult).ok).toBe(true);
    expect((first as VerifyResult).headers).toHaveProperty('ratelimit');
    expect((keyward.verify(request(key, '192.0.2.1')) as VerifyResult).ok).toBe(false);
    const second = keyward.verify(request(key)) as VerifyResult;
    expect(second.ok).toBe(true);
    const third = keyward.verify(request(key)) as VerifyResult;
    expect(third.ok === false && third.code).toBe('rate_limited');

    const reopened = new SqliteStore({ path: join(dir, 'keyward.db') });
    const elsewhere = createKeyward({
      prefix: 'acme',
      store: reopened,
      cache: { max: 0 },
      pepper: 'a pepper of at least sixteen chars',
    });
    expect((await elsewhere.get(record.id))?.metadata).toStrictEqual({ team: 'billing' });
    const rotated = await keyward.rotate(record.id, { gracePeriodMs: 60_000 });
    await keyward.update(record.id, { rateLimit: null });
    expect((elsewhere.verify(request(key)) as VerifyResult).ok).toBe(true);
    expect((elsewhere.verify(request(rotated.key)) as VerifyResult).ok).toBe(true);
    await keyward.revoke(record.id, { reason: 'test' });
    const revoked = elsewhere.verify(request(rotated.key)) as VerifyResult;
    expect(revoked.ok === false && revoked.code).toBe('revoked_key');
    const page = await elsewhere.list({ ownerId: 'acct_flow' });
    expect(page.items.map((item) => item.id)).toStrictEqual([record.id]);
    reopened.close();
  });

  it('measures a cache-miss verify (p50/p99 over 5,000 verifies)', async () => {
    const keyward = createKeyward({ prefix: 'acme', store, cache: { max: 0 } });
    const { key } = await keyward.create({ name: 'latency', scopes: ['invoices:read'] });
    const options = { scopes: ['invoices:read'] };
    const req = request(key);
    for (let i = 0; i < 500; i++) keyward.verify(req, options);
    const samples = new Float64Array(5_000);
    let ok = 0;
    for (let i = 0; i < samples.length; i++) {
      const start = performance.now();
      const result = keyward.verify(req, options) as VerifyResult;
      samples[i] = performance.now() - start;
      if (!isPromise(result) && result.ok) ok++;
    }
    expect(ok).toBe(samples.length);
    samples.sort();
    const at = (q: number) => samples[Math.floor(q * (samples.length - 1))]! * 1000;
    console.log(
      `cache-miss verify on SQLite: p50 ${at(0.5).toFixed(1)} µs, p99 ${at(0.99).toFixed(1)} µs (n=${samples.length})`,
    );
  });
});
