import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createKeyward,
  type Keyward,
  type LimitResult,
  MemoryStore,
  type RateLimit,
} from '@keyward/core';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { formatKey } from '../../core/src/key/format.js';
import { instrumentKeyward } from './instrument.js';

/** A MemoryStore whose token bucket fails for one key, to produce a limit-store error. */
class FlakyStore extends MemoryStore {
  failing = new Set<string>();
  override takeToken(bucket: string, limit: RateLimit, cost: number, now: number): LimitResult {
    if (this.failing.has(bucket)) throw new Error('limit store down');
    return super.takeToken(bucket, limit, cost, now);
  }
}

/** A Prometheus exporter served on 127.0.0.1 (port 0), scraped over real HTTP. */
async function prometheus(): Promise<{
  meterProvider: MeterProvider;
  scrape(): Promise<string>;
  close(): Promise<void>;
}> {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const server: Server = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    meterProvider,
    async scrape() {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      return response.text();
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await meterProvider.shutdown();
    },
  };
}

/**
 * The value of the sample `name` whose keyward labels are exactly `labels` (other labels, such as
 * the exporter's `otel_scope_*`, are ignored), or undefined when there is none.
 */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)) {
      if (pair[1]!.startsWith('keyward_') || pair[1] === 'le') found[pair[1]!] = pair[2]!;
    }
    if (
      JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort())
    ) {
      return Number(match[3]);
    }
  }
  return undefined;
}

const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
  metrics.disable();
});

async function setup(keywardOptions: Partial<Parameters<typeof createKeyward>[0]> = {}) {
  const store = new FlakyStore();
  const keyward: Keyward = createKeyward({
    prefix: 'acme',
    store,
    usage: { flushIntervalMs: 60_000, maxPending: 2 },
    ...keywardOptions,
  });
  cleanup.push(() => keyward.close());
  return { keyward, store };
}

describe('instrumentKeyward', () => {
  it('exports every instrument to Prometheus, scraped over HTTP, with bounded attributes', async () => {
    const { keyward, store } = await setup();
    const exporter = await prometheus();
    cleanup.push(() => exporter.close());
    instrumentKeyward(keyward, { meterProvider: exporter.meterProvider });
    const live = await keyward.create({
      name: 'live',
      environment: 'live',
      ownerId: 'acct_secret',
    });
    const limited = await keyward.create({
      name: 'limited',
      environment: 'test',
      rateLimit: { capacity: 10, refillPerSecond: 1 },
    });
    store.failing.add(limited.record.id);
    for (let i = 0; i < 3; i++) await keyward.verify(bearer(live.key));
    // The right id with another secret (checksum recomputed): invalid_key, not attributed to the
    // stored key (no environment), exactly as an unknown id.
    const wrong = formatKey('acme', 'live', live.record.id, 'A'.repeat(43));
    await keyward.verify(bearer(wrong));
    await keyward.verify({ headers: {} });
    await keyward.verify(bearer(limited.key));
    await keyward.verify(bearer('acme_live_junk'));
    await keyward.flush();

    const text = await exporter.scrape();
    const verified = { keyward_outcome: 'verified', keyward_environment: 'live' };
    expect(sample(text, 'keyward_verifications_total', verified)).toBe(3);
    expect(sample(text, 'keyward_verifications_total', { keyward_outcome: 'invalid_key' })).toBe(1);
    expect(sample(text, 'keyward_verifications_total', { keyward_outcome: 'missing_key' })).toBe(1);
    expect(sample(text, 'keyward_verifications_total', { keyward_outcome: 'malformed_key' })).toBe(
      1,
    );
    expect(
      sample(text, 'keyward_verifications_total', {
        keyward_outcome: 'store_unavailable',
        keyward_environment: 'test',
      }),
    ).toBe(1);
    expect(text).toMatch(/^keyward_verifications_total\{keyward_outcome="invalid_key",/m);
    expect(sample(text, 'keyward_verify_duration_count', verified)).toBe(3);
    expect(sample(text, 'keyward_verify_duration_bucket', { ...verified, le: '+Inf' })).toBe(3);
    expect(sample(text, 'keyward_verify_duration_sum', verified)).toBeGreaterThan(0);
    expect(sample(text, 'keyward_store_errors_total', { keyward_store: 'limit' })).toBe(1);
    // Five distinct usage rows, room for two (maxPending): three verifications not recorded.
    expect(sample(text, 'keyward_usage_dropped_total')).toBe(3);
    expect(sample(text, 'keyward_cache_entries')).toBe(2);
    for (const secret of [live.record.id, limited.record.id, 'acct_secret', live.key]) {
      expect(text).not.toContain(secret);
    }
  });

  it('counts usage store errors under keyward.store="usage"', async () => {
    const failing = new MemoryStore();
    failing.recordUsage = () => {
      throw new Error('usage store down');
    };
    const { keyward } = await setup({ usage: { store: failing, flushIntervalMs: 60_000 } });
    const exporter = await prometheus();
    cleanup.push(() => exporter.close());
    instrumentKeyward(keyward, { meterProvider: exporter.meterProvider });
    const { key } = await keyward.create({ name: 'k', environment: 'live' });
    await keyward.verify(bearer(key));
    await expect(keyward.flush()).rejects.toThrow();
    expect(
      sample(await exporter.scrape(), 'keyward_store_errors_total', { keyward_store: 'usage' }),
    ).toBe(1);
  });

  it('falls back to the global meter provider and stops recording after stop()', async () => {
    const { keyward } = await setup();
    const exporter = await prometheus();
    cleanup.push(() => exporter.close());
    metrics.setGlobalMeterProvider(exporter.meterProvider);
    const instrumentation = instrumentKeyward(keyward);
    const { key } = await keyward.create({ name: 'k', environment: 'live' });
    await keyward.verify(bearer(key));
    instrumentation.stop();
    instrumentation.stop();
    await keyward.verify(bearer(key));
    const text = await exporter.scrape();
    expect(
      sample(text, 'keyward_verifications_total', {
        keyward_outcome: 'verified',
        keyward_environment: 'live',
      }),
    ).toBe(1);
  });

  it('refuses what is not a keyward or a meter provider', () => {
    expect(() => instrumentKeyward({} as Keyward)).toThrow(TypeError);
    const keyward = createKeyward({ prefix: 'acme', usage: false });
    expect(() => instrumentKeyward(keyward, { meterProvider: {} as never })).toThrow(TypeError);
  });
});
