import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from './alerts/types.js';
import { createKeyward, type KeywardOptions } from './keyward.js';
import { Attempt } from './observe.js';
import { MemoryStore } from './stores/memory-store.js';
import { bearer, fakeClock, PREFIX, withSecret } from './test-helpers.js';
import type { KeywardEvent, VerifyResult } from './types.js';
import type { UsageRow } from './usage/types.js';

const HOUR = 3_600_000;
const START = Date.UTC(2025, 0, 15, 12, 0, 0);

/** A MemoryStore whose usage writes can be made to fail. */
class FlakyUsageStore extends MemoryStore {
  failing = false;
  override recordUsage(
    rows: readonly UsageRow[],
    lastUsed: ReadonlyMap<string, number>,
    batchId?: string,
  ): void {
    if (this.failing) throw new Error('usage store down');
    super.recordUsage(rows, lastUsed, batchId);
  }
}

/** A keyward with usage (flushed by hand) and alerts, and what reached its listeners. */
function setup(options: Partial<KeywardOptions> = {}) {
  const store = new FlakyUsageStore();
  const clock = fakeClock(START);
  const alerts: Alert[] = [];
  const keyward = createKeyward({
    prefix: PREFIX,
    store,
    clock,
    usage: { flushIntervalMs: 60_000 },
    alerts: { onAlert: (alert) => alerts.push(alert) },
    ...options,
  } as KeywardOptions);
  const verify = (key: string, ip = '203.0.113.9'): VerifyResult => {
    const result = keyward.verify(bearer(key, { ip, method: 'GET', route: '/invoices/:id' }));
    if (result instanceof Promise) throw new Error('expected a synchronous verify');
    return result;
  };
  /** Lets the alert delivery timer (a real 0 ms one) run. */
  const delivered = () => new Promise((resolve) => setTimeout(resolve, 5));
  const byRoute = async (keyId: string) =>
    (await keyward.usage({ keyId, from: START, to: START + HOUR, groupBy: 'route' })).routes;
  return { keyward, store, clock, alerts, verify, delivered, byRoute };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the verify observer: usage and alerts from one observation', () => {
  it('hands each verification to both: the usage count and the alert come from the same one', async () => {
    const { keyward, alerts, verify, delivered, byRoute } = setup();
    const { key, record } = await keyward.create({ name: 'leaked' });
    expect(verify(key)).toMatchObject({ ok: true });
    await keyward.revoke(record.id);
    expect(verify(key)).toMatchObject({ ok: false, code: 'revoked_key' });
    await keyward.flush();
    await delivered();
    expect(await byRoute(record.id)).toEqual([
      {
        route: 'GET /invoices/:id',
        total: 2,
        cost: 2,
        outcomes: { verified: 1, revoked_key: 1 },
      },
    ]);
    expect(alerts.map((a) => [a.kind, a.keyId])).toContainEqual(['revoked_key_used', record.id]);
    await keyward.close();
  });

  it('builds no observation when neither usage, alerts nor events listen, and one when any does', async () => {
    const reset = vi.spyOn(Attempt.prototype, 'reset');
    const quiet = createKeyward({ prefix: PREFIX, usage: false });
    const { key } = await quiet.create({ name: 'k' });
    for (let i = 0; i < 3; i++) expect(quiet.verify(bearer(key))).toMatchObject({ ok: true });
    expect(reset).not.toHaveBeenCalled();

    const alertsOnly = createKeyward({ prefix: PREFIX, usage: false, alerts: {} });
    const other = await alertsOnly.create({ name: 'k' });
    expect(alertsOnly.verify(bearer(other.key))).toMatchObject({ ok: true });
    expect(reset).toHaveBeenCalledTimes(1);
    await alertsOnly.close();
    await quiet.close();
  });

  it('reuses one observation object across synchronous verifications', async () => {
    const { keyward, verify } = setup();
    const { key } = await keyward.create({ name: 'k' });
    const reset = vi.spyOn(Attempt.prototype, 'reset');
    for (let i = 0; i < 5; i++) verify(key);
    expect(reset).toHaveBeenCalledTimes(5);
    expect(new Set(reset.mock.contexts).size).toBe(1);
    await keyward.close();
  });

  it('counts what a throttled client sends: wrong secrets under the deployment, its working key under the key', async () => {
    const { keyward, verify, byRoute } = setup({
      failedAttempts: { capacity: 2, refillPerSecond: 0.001 },
    });
    const { key, record } = await keyward.create({ name: 'k' });
    expect(verify(key)).toMatchObject({ ok: true }); // cached
    const wrong = withSecret(key, `${'A'.repeat(42)}B`);
    for (let i = 0; i < 3; i++) verify(wrong);
    expect(verify(wrong)).toMatchObject({ ok: false, code: 'too_many_failures' });
    expect(verify(key)).toMatchObject({ ok: true });
    await keyward.flush();
    expect(await byRoute(record.id)).toEqual([
      { route: 'GET /invoices/:id', total: 2, cost: 2, outcomes: { verified: 2 } },
    ]);
    const deployment = await keyward.usage({ from: START, to: START + HOUR, groupBy: 'route' });
    expect(deployment.routes[0]?.outcomes).toEqual({
      verified: 2,
      invalid_key: 2,
      too_many_failures: 2,
    });
    await keyward.close();
  });

  it('counts a request once however many guards it passes (verifyOnce), with one key.verified', async () => {
    const events: KeywardEvent[] = [];
    const { keyward, byRoute } = setup({ onEvent: (event) => events.push(event) });
    const { key, record } = await keyward.create({ name: 'k', scopes: ['invoices:read'] });
    const request = bearer(key, { method: 'GET', route: '/invoices/:id' });
    const carrier = {};
    expect(keyward.verifyOnce(carrier, request)).toMatchObject({ ok: true });
    expect(keyward.verifyOnce(carrier, request, { scopes: ['invoices:read'] })).toMatchObject({
      ok: true,
    });
    await keyward.flush();
    expect((await byRoute(record.id))[0]?.total).toBe(1);
    expect(events.filter((e) => e.type === 'key.verified')).toHaveLength(1);
    await keyward.close();
  });
});

describe('subscribe(), close() and store errors with usage and alerts', () => {
  it('gives subscribers the alert events', async () => {
    const { keyward, verify, delivered } = setup();
    const events: KeywardEvent[] = [];
    const unsubscribe = keyward.subscribe((event) => events.push(event));
    const { key, record } = await keyward.create({ name: 'k' });
    await keyward.revoke(record.id);
    verify(key);
    await delivered();
    const alert = events.find((e) => e.type === 'alert');
    expect(alert).toMatchObject({ type: 'alert', keyId: record.id });
    unsubscribe();
    await keyward.close();
  });

  it('turns a failed usage flush into a store_error alert', async () => {
    const { keyward, store, alerts, verify, delivered } = setup();
    const { key } = await keyward.create({ name: 'k' });
    verify(key);
    store.failing = true;
    await expect(keyward.flush()).rejects.toMatchObject({ code: 'store_unavailable' });
    await delivered();
    expect(alerts.map((a) => a.kind)).toContain('store_error');
    store.failing = false;
    await keyward.close();
  });

  it('close() writes the last usage, then stops alerts; after it nothing is recorded or alerted', async () => {
    const { keyward, alerts, verify, delivered, byRoute } = setup();
    const { key, record } = await keyward.create({ name: 'k' });
    verify(key);
    const closing = keyward.close();
    expect(keyward.close()).toBe(closing);
    await closing;
    expect((await byRoute(record.id))[0]?.total).toBe(1);
    await keyward.revoke(record.id);
    verify(key);
    await keyward.flush();
    await delivered();
    expect((await byRoute(record.id))[0]?.total).toBe(1);
    expect(alerts).toStrictEqual([]);
  });
});
