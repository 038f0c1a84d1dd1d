import { createKeyward, MemoryStore } from '@keyward/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../../../test-support/services.js';
import { PostgresStore } from '../src/index.js';
import { migratedTable } from './pg-fixture.js';

const available = await postgresAvailable();
const VERIFIES = 2_000;
const WARM_UP = 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// Measures, never asserts, latency: the figure goes to the log for the report.
describe.skipIf(!available)('cache-miss verify latency on PostgreSQL', () => {
  let fixture: Awaited<ReturnType<typeof migratedTable>>;

  beforeAll(async () => {
    fixture = await migratedTable();
  });
  afterAll(async () => {
    await fixture?.dispose();
  });

  it(`measures p50/p99 over ${VERIFIES} sequential verifies with the cache disabled`, async () => {
    const keyward = createKeyward({
      prefix: 'acme',
      keyStore: new PostgresStore({ pool: fixture.pool, table: fixture.table }),
      limitStore: new MemoryStore(),
      cache: { max: 0 },
      failedAttempts: false,
      storeTimeoutMs: 10_000,
    });
    const { key } = await keyward.create({
      name: 'latency',
      environment: 'live',
      scopes: ['invoices:read'],
    });
    const request = { headers: { authorization: `Bearer ${key}` }, ip: '192.0.2.1' };
    const options = { scopes: ['invoices:read'] };
    for (let i = 0; i < WARM_UP; i++) await keyward.verify(request, options);
    const samples: number[] = [];
    let failures = 0;
    // Bounded by the test's timeout: every sample is needed, so there is no deadline of its own.
    for (let i = 0; i < VERIFIES; i++) {
      const started = performance.now();
      const result = await keyward.verify(request, options);
      samples.push(performance.now() - started);
      if (!result.ok) failures++;
    }
    samples.sort((a, b) => a - b);
    const [p50, p99] = [percentile(samples, 50), percentile(samples, 99)];
    console.log(
      `postgres cache-miss verify: n=${samples.length} p50=${p50.toFixed(3)} ms p99=${p99.toFixed(3)} ms max=${samples[samples.length - 1]!.toFixed(3)} ms`,
    );
    await keyward.close();
    expect(failures).toBe(0);
    expect(samples).toHaveLength(VERIFIES);
  }, 90_000);
});
