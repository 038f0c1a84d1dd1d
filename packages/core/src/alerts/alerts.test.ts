import { describe, expect, it } from 'vitest';
import { createKeyward, type KeywardOptions } from '../keyward.js';
import { MemoryStore } from '../stores/memory-store.js';
import type { KeyRecord } from '../stores/types.js';
import { bearer, type FakeClock, fakeClock, PREFIX, RecordingStore } from '../test-helpers.js';
import type { CreateKeyOptions, KeywardEvent, VerifyResult } from '../types.js';
import { networkOf } from './network.js';
import type { Alert, AlertOptions, AlertThresholds } from './types.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Lets the delivery timer (a real, 0 ms one) run. */
const delivered = () => new Promise((resolve) => setTimeout(resolve, 5));

function setupAlerts(
  thresholds: Partial<AlertThresholds> = {},
  options: Partial<KeywardOptions> = {},
  alertOptions: Partial<AlertOptions> = {},
) {
  const clock = fakeClock();
  const alerts: Alert[] = [];
  const events: KeywardEvent[] = [];
  const store = new RecordingStore();
  const keyward = createKeyward({
    prefix: PREFIX,
    store,
    clock,
    onEvent: (event) => {
      if (event.type.startsWith('alert')) events.push(event);
    },
    alerts: { onAlert: (alert) => alerts.push(alert), thresholds, ...alertOptions },
    ...options,
  });
  const verify = (key: string, ip = '203.0.113.9', scopes?: string[]): VerifyResult => {
    const result = keyward.verify(bearer(key, { ip }), scopes ? { scopes } : undefined);
    if (result instanceof Promise) throw new Error('expected a synchronous verify');
    return result;
  };
  /** The alerts delivered so far, after letting delivery run; clears the list. */
  const take = async () => {
    await delivered();
    return alerts.splice(0);
  };
  return { keyward, clock, alerts, events, store, verify, take };
}

/** `count` requests spread evenly over the clock's current minute, from its start. */
function minuteOf(
  verify: (key: string, ip?: string) => VerifyResult,
  clock: FakeClock,
  key: string,
  count: number,
  ip?: string,
) {
  const start = Math.floor(clock.now / MINUTE) * MINUTE;
  for (let i = 0; i < count; i++) {
    clock.set(start + Math.floor((i * MINUTE) / Math.max(count, 1)));
    verify(key, ip);
  }
  clock.set(start + MINUTE);
}

describe('alerts: spike', () => {
  /** 30 minutes at 80 requests, then one minute of `last`: the alerts that raises. */
  async function busyThen(last: number) {
    const { keyward, clock, verify, take } = setupAlerts();
    const { key, record } = await keyward.create({ name: 'busy', ownerId: 'acct_1' });
    for (let m = 0; m < 30; m++) minuteOf(verify, clock, key, 80);
    expect(await take()).toStrictEqual([]);
    minuteOf(verify, clock, key, last);
    const alerts = await take();
    /** Another minute of `count` requests: the alerts it raises. */
    const next = async (count: number) => {
      minuteOf(verify, clock, key, count);
      return take();
    };
    return { alerts, id: record.id, next };
  }

  it('fires when a minute passes max(factor × average, floor), once per cooldown', async () => {
    // 5 × 80 = 400 > the 300 floor: request 401 of a minute spikes.
    expect((await busyThen(400)).alerts).toStrictEqual([]);
    const { alerts, id, next } = await busyThen(401);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'spike', keyId: id, ownerId: 'acct_1' });
    expect(alerts[0]!.data).toMatchObject({ count: 401, limit: 400, average: 80 });
    // Cooldown: the next spiking minute raises nothing.
    expect(await next(2000)).toStrictEqual([]);
  });

  it('never fires below the floor, nor before the key has warm-up history', async () => {
    const { keyward, clock, verify, take } = setupAlerts();
    const quiet = await keyward.create({ name: 'quiet' });
    for (let m = 0; m < 30; m++) minuteOf(verify, clock, quiet.key, 2);
    minuteOf(verify, clock, quiet.key, 300);
    const fresh = await keyward.create({ name: 'fresh' });
    minuteOf(verify, clock, fresh.key, 1);
    minuteOf(verify, clock, fresh.key, 5000);
    expect(await take()).toStrictEqual([]);
    minuteOf(verify, clock, quiet.key, 301);
    expect((await take()).map((a) => [a.kind, a.keyId])).toStrictEqual([
      ['spike', quiet.record.id],
    ]);
  });
});

describe('alerts: rejection_burst', () => {
  it('fires when the right secret keeps failing the key’s restrictions', async () => {
    const { keyward, verify, take, clock } = setupAlerts();
    const { key, record } = await keyward.create({
      name: 'restricted',
      ips: ['10.0.0.0/8'],
      scopes: ['invoices:read'],
    });
    for (let i = 0; i < 10; i++) expect(verify(key, '198.51.100.7').ok).toBe(false);
    for (let i = 0; i < 9; i++) expect(verify(key, '10.1.2.3', ['admin:all']).ok).toBe(false);
    expect(await take()).toStrictEqual([]);
    verify(key, '198.51.100.7');
    const [burst] = await take();
    expect(burst).toMatchObject({ kind: 'rejection_burst', keyId: record.id });
    expect(burst!.data).toMatchObject({
      count: 20,
      codes: { ip_not_allowed: 11, insufficient_scope: 9 },
      ip: '198.51.100.7',
    });
    clock.advance(2 * MINUTE);
    for (let i = 0; i < 25; i++) verify(key, '198.51.100.7');
    expect(await take()).toStrictEqual([]);
  });

  it('counts route, path and key-type failures of a right secret (#14)', async () => {
    const { keyward, take } = setupAlerts();
    const { key, record } = await keyward.create({ name: 'routed', routes: ['GET /invoices/*'] });
    const at = (method: string, url: string, keyType?: 'publishable') => {
      const result = keyward.verify(
        bearer(key, { method, url }),
        keyType === undefined ? undefined : { keyType },
      );
      if (result instanceof Promise) throw new Error('expected a synchronous verify');
      return result.ok ? 'ok' : result.code;
    };
    expect(at('GET', '/invoices/1')).toBe('ok');
    for (let i = 0; i < 10; i++) expect(at('GET', '/admin')).toBe('route_not_allowed');
    for (let i = 0; i < 5; i++) expect(at('GET', '/invoices/../admin')).toBe('invalid_path');
    for (let i = 0; i < 4; i++)
      expect(at('GET', '/invoices/1', 'publishable')).toBe('wrong_key_type');
    expect(await take()).toStrictEqual([]);
    expect(at('DELETE', '/invoices/1')).toBe('route_not_allowed');
    const [burst] = await take();
    expect(burst).toMatchObject({ kind: 'rejection_burst', keyId: record.id });
    expect(burst!.data).toMatchObject({
      count: 20,
      codes: { route_not_allowed: 11, invalid_path: 5, wrong_key_type: 4 },
    });
  });

  it('ignores failures spread thinner than the window, and wrong secrets', async () => {
    const { keyward, verify, take, clock } = setupAlerts();
    const { key } = await keyward.create({ name: 'restricted', ips: ['10.0.0.0/8'] });
    for (let i = 0; i < 60; i++) {
      verify(key, '198.51.100.7');
      clock.advance(4000);
    }
    const wrong = `${key.slice(0, -49)}${'A'.repeat(43)}${key.slice(-6)}`;
    for (let i = 0; i < 30; i++) verify(wrong, '10.1.1.1');
    expect((await take()).filter((a) => a.kind === 'rejection_burst')).toStrictEqual([]);
  });
});

describe('alerts: revoked_key_used', () => {
  it('fires when a revoked key’s correct secret is presented, naming where from', async () => {
    const { keyward, verify, take } = setupAlerts();
    const { key, record } = await keyward.create({ name: 'leaked' });
    expect(verify(key).ok).toBe(true);
    await keyward.revoke(record.id, { reason: 'leaked' });
    const result = verify(key, '198.51.100.23');
    expect(result.ok ? 'ok' : result.code).toBe('revoked_key');
    const [alert] = await take();
    expect(alert).toMatchObject({ kind: 'revoked_key_used', keyId: record.id });
    expect(alert!.data).toMatchObject({ ip: '198.51.100.23', network: '198.51.100.0/24' });
  });

  it('stays quiet for a wrong secret on a revoked id', async () => {
    const { keyward, verify, take } = setupAlerts();
    const { key, record } = await keyward.create({ name: 'leaked' });
    await keyward.revoke(record.id);
    verify(`${key.slice(0, -49)}${'B'.repeat(43)}${key.slice(-6)}`);
    expect(await take()).toStrictEqual([]);
  });
});

describe('alerts: grace_secret_used', () => {
  it('fires for the old secret during the grace, again near its end, and after it', async () => {
    const { keyward, verify, take, clock } = setupAlerts({ graceWarningMs: HOUR });
    const old = await keyward.create({ name: 'rotating' });
    const fresh = await keyward.rotate(old.record.id, { gracePeriodMs: DAY });
    expect(verify(fresh.key).ok).toBe(true);
    expect(await take()).toStrictEqual([]);
    expect(verify(old.key).ok).toBe(true);
    const [first] = await take();
    expect(first).toMatchObject({ kind: 'grace_secret_used', keyId: old.record.id });
    expect(first!.data).toMatchObject({ phase: 'grace' });
    clock.advance(MINUTE);
    verify(old.key);
    expect(await take()).toStrictEqual([]);
    clock.advance(DAY - 30 * MINUTE);
    verify(old.key);
    const ending = await take();
    expect(ending.map((a) => a.data.phase)).toStrictEqual(['grace', 'ending']);
    expect(ending[1]!.detail).toMatch(/29 minutes/);
    clock.advance(HOUR);
    const after = verify(old.key);
    expect(after.ok ? 'ok' : after.code).toBe('expired_key');
    expect((await take()).map((a) => a.data.phase)).toStrictEqual(['ended']);
  });
});

describe('alerts: new_network', () => {
  it('learns a key’s networks first, then fires for one not seen in networkMemoryDays', async () => {
    const { keyward, verify, take, clock } = setupAlerts({ networkLearningMs: HOUR });
    const { key, record } = await keyward.create({ name: 'server key' });
    verify(key, '203.0.113.9');
    clock.advance(10 * MINUTE);
    verify(key, '198.51.100.7');
    clock.advance(2 * HOUR);
    verify(key, '203.0.113.200');
    verify(key, '198.51.100.8');
    expect(await take()).toStrictEqual([]);
    verify(key, '192.0.2.1');
    const [alert] = await take();
    expect(alert).toMatchObject({ kind: 'new_network', keyId: record.id });
    expect(alert!.data).toMatchObject({ ip: '192.0.2.1', network: '192.0.2.0/24' });
    verify(key, '192.0.2.77');
    clock.advance(11 * MINUTE);
    verify(key, '2001:db8:1:2::1');
    verify(key, '2001:db8:1:ffff::5');
    expect((await take()).map((a) => a.data.network)).toStrictEqual(['2001:db8:1::/48']);
    // Forgotten after networkMemoryDays without use.
    clock.advance(31 * DAY);
    verify(key, '203.0.113.9');
    expect((await take()).map((a) => a.data.network)).toStrictEqual(['203.0.113.0/24']);
  });

  it('remembers at most maxNetworksPerKey networks per key', async () => {
    const { keyward, verify, take, clock } = setupAlerts({
      networkLearningMs: 0,
      maxNetworksPerKey: 2,
    });
    const { key } = await keyward.create({ name: 'roaming' });
    verify(key, '203.0.113.9');
    verify(key, '198.51.100.7');
    clock.advance(11 * MINUTE);
    verify(key, '192.0.2.1');
    clock.advance(11 * MINUTE);
    verify(key, '203.0.113.9');
    const networks = (await take()).map((a) => a.data.network);
    expect(networks).toStrictEqual(['198.51.100.0/24', '192.0.2.0/24', '203.0.113.0/24']);
  });

  it('maps addresses to their /24 or /48', () => {
    expect(networkOf('203.0.113.9')).toBe('203.0.113.0/24');
    expect(networkOf('::ffff:203.0.113.9')).toBe('203.0.113.0/24');
    expect(networkOf('2001:0DB8:0001:0002::1')).toBe('2001:db8:1::/48');
    expect(networkOf('2001:db8::1')).toBe('2001:db8:0::/48');
    expect(networkOf('fe80::1%eth0')).toBe('fe80:0:0::/48');
    expect(networkOf('::1')).toBe('0:0:0::/48');
    for (const junk of ['', 'localhost', '1.2.3', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::']) {
      expect(networkOf(junk), junk).toBeUndefined();
    }
  });
});

describe('alerts: quota_threshold', () => {
  it('fires at 80, 95 and 100 % of the period, once each per period', async () => {
    const { keyward, verify, take, clock } = setupAlerts();
    const { key, record } = await keyward.create({
      name: 'metered',
      quota: { limit: 100, period: 'day' },
    });
    const percents = async () => (await take()).map((a) => a.data.percent);
    for (let i = 0; i < 79; i++) verify(key);
    expect(await percents()).toStrictEqual([]);
    verify(key);
    expect(await percents()).toStrictEqual([80]);
    for (let i = 80; i < 100; i++) verify(key);
    expect(await percents()).toStrictEqual([95, 100]);
    const refused = verify(key);
    expect(refused.ok ? 'ok' : refused.code).toBe('quota_exceeded');
    expect(await percents()).toStrictEqual([]);
    clock.set(Date.UTC(2025, 0, 16, 12));
    for (let i = 0; i < 80; i++) verify(key);
    const [next] = await take();
    expect(next).toMatchObject({ kind: 'quota_threshold', keyId: record.id });
    expect(next!.data).toMatchObject({ percent: 80, used: 80, limit: 100, period: 'day' });
  });

  it('counts a refused request as 100 % when one request jumps past the quota', async () => {
    const { keyward, take } = setupAlerts();
    const { key } = await keyward.create({ name: 'big', quota: { limit: 10, period: 'hour' } });
    keyward.verify(bearer(key), { cost: 7 });
    keyward.verify(bearer(key), { cost: 7 });
    expect((await take()).map((a) => a.data.percent)).toStrictEqual([100]);
  });
});

describe('alerts: failed_attempts and store_error', () => {
  it('turns the failed-attempts anomaly into an alert, once per cooldown', async () => {
    const { verify, take, clock } = setupAlerts(
      {},
      {
        failedAttempts: { capacity: 3, refillPerSecond: 0.01 },
      },
    );
    const garbage = `${PREFIX}_live_${'x'.repeat(60)}`;
    for (let i = 0; i < 3; i++) verify(garbage, '198.51.100.66');
    for (let i = 0; i < 3; i++) verify(garbage, '198.51.100.99');
    const [alert, ...rest] = await take();
    expect(rest).toStrictEqual([]);
    expect(alert).toMatchObject({ kind: 'failed_attempts', data: { ip: '198.51.100.66' } });
    expect(alert!.keyId).toBeUndefined();
    clock.advance(11 * MINUTE);
    for (let i = 0; i < 3; i++) verify(garbage, '198.51.100.77');
    expect((await take()).map((a) => [a.kind, a.data.held])).toStrictEqual([
      ['failed_attempts', 1],
    ]);
  });

  it('turns a store failure into a store_error alert', async () => {
    class BrokenStore extends MemoryStore {
      broken = false;
      override getKey(id: string): KeyRecord | undefined {
        if (this.broken) throw new Error('disk on fire at postgres://app:hunter2@db/keys');
        return super.getKey(id);
      }
    }
    const store = new BrokenStore();
    const { keyward, verify, take } = setupAlerts({}, { store, cache: { max: 0 } });
    const { key } = await keyward.create({ name: 'x' });
    store.broken = true;
    const result = verify(key);
    expect(result.ok ? 'ok' : result.code).toBe('store_unavailable');
    const alerts = await take();
    expect(alerts.map((a) => [a.kind, a.data.keyId])).toStrictEqual([
      ['store_error', key.split('_')[2]],
    ]);
    // The driver's text may hold a password or a value: it never leaves in an alert.
    expect(alerts[0]?.detail).toBe(
      'the key store failed (its error is in the local store_error event)',
    );
    expect(JSON.stringify(alerts)).not.toContain('hunter2');
  });
});

describe('alerts: quiet on normal traffic', () => {
  it('raises nothing for steady keys over a simulated week', async () => {
    const { keyward, verify, take, clock, events } = setupAlerts();
    const options: CreateKeyOptions = {
      name: 'steady',
      scopes: ['invoices:read'],
      ips: ['203.0.113.0/24', '198.51.100.0/24'],
      rateLimit: { capacity: 50, refillPerSecond: 5 },
      quota: { limit: 40_000, period: 'day' },
    };
    const steady = await keyward.create(options);
    const nightly = await keyward.create({
      name: 'nightly batch',
      quota: { limit: 5000, period: 'day' },
    });
    const week = clock.now + 7 * DAY;
    let requests = 0;
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; clock.now < week && i < 200_000; i++) {
      clock.advance(4000 + Math.floor(random() * 6000));
      const ip = random() < 0.5 ? `203.0.113.${1 + Math.floor(random() * 4)}` : '198.51.100.20';
      const result = verify(steady.key, ip, ['invoices:read']);
      if (!result.ok) throw new Error(`steady request refused: ${result.code}`);
      requests++;
      // A batch job: a few minutes of steady work every night from one host.
      const hour = new Date(clock.now).getUTCHours();
      if (hour === 2 && random() < 0.5) verify(nightly.key, '192.0.2.10');
    }
    expect(requests).toBeGreaterThan(60_000);
    expect(await take()).toStrictEqual([]);
    expect(events.filter((e) => e.type === 'alert')).toStrictEqual([]);
  });
});

describe('alerts: delivery, cooldown and bounds', () => {
  it('deduplicates per kind and key, and counts what the cooldown held back', async () => {
    const { keyward, verify, take, clock } = setupAlerts({}, {}, { cooldownMs: 5 * MINUTE });
    const a = await keyward.create({ name: 'a' });
    const b = await keyward.create({ name: 'b' });
    await keyward.revoke(a.record.id);
    await keyward.revoke(b.record.id);
    for (let i = 0; i < 3; i++) verify(a.key);
    verify(b.key);
    expect((await take()).map((x) => x.keyId)).toStrictEqual([a.record.id, b.record.id]);
    clock.advance(5 * MINUTE);
    verify(a.key);
    expect((await take()).map((x) => [x.keyId, x.data.held])).toStrictEqual([[a.record.id, 2]]);
  });

  it('delivers off the request path: to onAlert and as a frozen alert event', async () => {
    const { keyward, verify, alerts, events } = setupAlerts();
    const { key, record } = await keyward.create({ name: 'x' });
    await keyward.revoke(record.id);
    verify(key);
    expect(alerts).toStrictEqual([]);
    await delivered();
    expect(alerts).toHaveLength(1);
    const event = events.find((e) => e.type === 'alert');
    expect(event).toMatchObject({ type: 'alert', keyId: record.id, alert: alerts[0] });
    expect(Object.isFrozen(alerts[0])).toBe(true);
    expect(Object.isFrozen(alerts[0]!.data)).toBe(true);
    expect(alerts[0]!.id).toMatch(/^alrt_[0-9A-Za-z]{22}$/);
  });

  it('keeps verifying when onAlert throws', async () => {
    const clock = fakeClock();
    const keyward = createKeyward({
      prefix: PREFIX,
      clock,
      alerts: {
        onAlert: () => {
          throw new Error('pager down');
        },
      },
    });
    const { key, record } = await keyward.create({ name: 'x' });
    await keyward.revoke(record.id);
    for (let i = 0; i < 3; i++) {
      const result = keyward.verify(bearer(key));
      expect(result instanceof Promise ? 'promise' : result.ok ? 'ok' : result.code).toBe(
        'revoked_key',
      );
      await delivered();
    }
  });

  it('forgets the least recently seen keys past maxKeys', async () => {
    const { keyward, verify, take } = setupAlerts({ networkLearningMs: 0 }, {}, { maxKeys: 1 });
    const a = await keyward.create({ name: 'a' });
    const b = await keyward.create({ name: 'b' });
    verify(a.key, '203.0.113.9');
    verify(b.key, '203.0.113.9');
    // a was forgotten, so its next network is learnt, not new.
    verify(a.key, '198.51.100.7');
    expect(await take()).toStrictEqual([]);
    verify(a.key, '192.0.2.1');
    expect((await take()).map((x) => x.kind)).toStrictEqual(['new_network']);
  });

  it('drops alerts past maxQueue, counted as undelivered events', async () => {
    const { keyward, verify, take, events } = setupAlerts({}, {}, { maxQueue: 2 });
    const keys = [];
    for (let i = 0; i < 5; i++) {
      const issued = await keyward.create({ name: `k${i}` });
      await keyward.revoke(issued.record.id);
      keys.push(issued.key);
    }
    for (const key of keys) verify(key);
    expect(await take()).toHaveLength(2);
    const dropped = events.filter((e) => e.type === 'alert.undelivered');
    expect(dropped).toHaveLength(3);
    expect(dropped[0]).toMatchObject({ reason: 'queue_full', kind: 'revoked_key_used' });
  });

  it('puts no secret, key or hash in any alert', async () => {
    const { keyward, verify, take, store, clock } = setupAlerts({ networkLearningMs: 0 });
    const a = await keyward.create({
      name: 'a',
      ips: ['10.0.0.0/8'],
      quota: { limit: 5, period: 'day' },
    });
    const b = await keyward.create({ name: 'b' });
    const rotated = await keyward.rotate(b.record.id, { gracePeriodMs: HOUR });
    for (let i = 0; i < 25; i++) verify(a.key, '198.51.100.7');
    for (let i = 0; i < 6; i++) verify(a.key, '10.0.0.1');
    verify(b.key, '192.0.2.5');
    verify(rotated.key, '198.51.100.9');
    await keyward.revoke(b.record.id);
    clock.advance(HOUR);
    verify(rotated.key);
    const alerts = await take();
    expect(new Set(alerts.map((x) => x.kind))).toStrictEqual(
      new Set([
        'rejection_burst',
        'quota_threshold',
        'grace_secret_used',
        'new_network',
        'revoked_key_used',
      ]),
    );
    const text = JSON.stringify(alerts);
    for (const key of [a.key, b.key, rotated.key]) {
      expect(text).not.toContain(key.slice(-49, -6));
    }
    for (const hash of store.hashes) expect(text).not.toContain(hash.split(':').at(-1));
  });
});

describe('alerts: options', () => {
  const secret = `whsec_${btoa('k'.repeat(32))}`;
  it.each([
    ['an unknown option', { onAlrt: () => {} }, 'onAlrt'],
    ['an unknown threshold', { thresholds: { spikefactor: 2 } }, 'spikefactor'],
    ['a negative cooldown', { cooldownMs: -1 }, 'cooldownMs'],
    ['a zero spike factor', { thresholds: { spikeFactor: 0 } }, 'spikeFactor'],
    ['a quota percent of 120', { thresholds: { quotaPercents: [80, 120] } }, 'quotaPercents'],
    ['a fractional maxKeys', { maxKeys: 1.5 }, 'maxKeys'],
    ['a non-function onAlert', { onAlert: 'log' }, 'onAlert'],
    ['a webhook without https', { webhook: { url: 'ftp://x', secret } }, 'url'],
    [
      'a webhook with a bad secret',
      { webhook: { url: 'https://x.test', secret: 'hunter2-hunter2' } },
      'secret',
    ],
    [
      'a webhook with a short secret',
      { webhook: { url: 'https://x.test', secret: 'whsec_c2hvcnQ=' } },
      'secret',
    ],
    [
      'an unknown webhook option',
      { webhook: { url: 'https://x.test', secret, retries: 3 } },
      'retries',
    ],
  ])('refuses %s with a TypeError naming it', (_c, alerts, named) => {
    let error: unknown;
    try {
      createKeyward({ prefix: PREFIX, alerts: alerts as AlertOptions });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain(named);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('keeps a webhook secret out of inspect and JSON', async () => {
    const { inspect } = await import('node:util');
    const keyward = createKeyward({
      prefix: PREFIX,
      alerts: { webhook: { url: 'https://x.test', secret } },
    });
    expect(inspect(keyward, { depth: 10, showHidden: true })).not.toContain(secret.slice(6, 20));
    expect(JSON.stringify(keyward)).not.toContain(secret.slice(6, 20));
    await keyward.close();
  });
});
