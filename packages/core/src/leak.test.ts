import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createKeyward, type Keyward } from './keyward.js';
import type { IssuedKey } from './lifecycle.js';
import { MemoryStore } from './stores/memory-store.js';
import type { KeyRecord, KeyStore } from './stores/types.js';
import {
  bearer,
  failingLimitStore,
  fakeClock,
  otherSecret,
  PREFIX,
  RecordingStore,
  secretOf,
  settle,
  withSecret,
} from './test-helpers.js';
import type { KeywardEvent, VerifyRequest, VerifyResult } from './types.js';

const PEPPER = 'a-pepper-of-sufficient-length-42';

/** Every way an object might be rendered into a log line. */
function renderings(value: unknown): string[] {
  const out = [
    inspect(value, { depth: 10 }),
    inspect(value, { depth: 10, showHidden: true, getters: true }),
  ];
  try {
    out.push(JSON.stringify(value) ?? '');
  } catch {
    // Not serialisable: nothing leaks through JSON then.
  }
  try {
    out.push(String(value));
  } catch {
    // Objects without a string form.
  }
  if (value instanceof Error) out.push(value.message, value.stack ?? '', String(value.cause ?? ''));
  return out;
}

/** Any 12-character window of a secret: catches partial leaks, not only whole secrets. */
function windows(secret: string, size = 12): string[] {
  const out: string[] = [];
  for (let i = 0; i + size <= secret.length; i++) out.push(secret.slice(i, i + size));
  return out;
}

/** A store whose writes fail with the record attached, as ioredis (`command.args`) and pg (`detail`, `parameters`) do. */
class LeakyFailingStore extends RecordingStore {
  #fail(record: KeyRecord): never {
    const error = Object.assign(new Error('OOM command not allowed'), {
      code: 'OOM',
      command: { name: 'evalsha', args: [JSON.stringify(record)] },
      detail: `Failing row contains (${record.id}, ${record.hash})`,
      parameters: [record.hash, record.previousHash],
    });
    throw error;
  }
  override insertKey(record: KeyRecord): void {
    super.insertKey(record);
    this.#fail(record);
  }
  override updateKey(record: KeyRecord): boolean {
    this.#fail(record);
  }
}

describe('no secret material leaks', () => {
  it('a store error carrying the record (as drivers attach it) reaches the caller without it', async () => {
    const store = new LeakyFailingStore();
    const keyward = createKeyward({ prefix: PREFIX, store, pepper: PEPPER });
    const failure = await keyward.create({ name: 'doomed' }).catch((error: unknown) => error);
    expect((failure as { code?: string }).code).toBe('store_unavailable');
    expect((failure as Error).cause).toMatchObject({
      code: 'OOM',
      message: 'OOM command not allowed',
    });
    const rendered = [
      inspect(failure, { depth: null, showHidden: true }),
      JSON.stringify(failure),
      JSON.stringify((failure as Error).cause),
    ].join('\n');
    expect(store.hashes.size).toBe(1);
    for (const hash of store.hashes) {
      expect(rendered).not.toContain(hash.slice(hash.lastIndexOf(':') + 1));
    }
    expect(rendered).not.toContain(PEPPER);
  });

  it('configuration errors about the pepper never echo it', () => {
    const misplaced = { current: 'v1', peppers: { [PEPPER.slice(0, 16)]: 'v1' } };
    for (const pepper of [misplaced, { current: PEPPER, peppers: { v1: PEPPER } }]) {
      let message = '';
      try {
        createKeyward({ prefix: PREFIX, pepper: pepper as never });
      } catch (error) {
        message = String(error);
      }
      expect(message).toMatch(/pepper/);
      expect(message).not.toContain(PEPPER.slice(0, 16));
    }
  });

  it('events, results, errors, KeyInfo, IssuedKey and the instance never show a secret or hash', async () => {
    const store = new RecordingStore();
    const clock = fakeClock();
    const events: KeywardEvent[] = [];
    const seen: unknown[] = [];
    const onEvent = (event: KeywardEvent) => events.push(event);
    const common = { prefix: PREFIX, clock, onEvent, pepper: PEPPER };
    const keyward = createKeyward({
      ...common,
      store,
      failedAttempts: { capacity: 5, refillPerSecond: 0.001 },
    });
    const liveOnly = createKeyward({ ...common, store, environments: ['live'] });
    const brokenKeys: KeyStore = {
      getKey: () => {
        throw new Error('key store down');
      },
      insertKey: () => {},
      updateKey: () => false,
      listKeys: () => ({ items: [] }),
    };
    const noKeyStore = createKeyward({ ...common, keyStore: brokenKeys, limitStore: store });
    const noLimits = createKeyward({
      ...common,
      keyStore: store,
      limitStore: failingLimitStore('reject'),
      storeTimeoutMs: 50,
    });

    const issued: IssuedKey[] = [];
    const create = async (k: Keyward, options: Parameters<Keyward['create']>[0]) => {
      const result = await k.create(options);
      issued.push(result);
      seen.push(result, result.record);
      return result;
    };
    const verify = async (k: Keyward, request: VerifyRequest, options = {}) => {
      const result: VerifyResult = await settle(k.verify(request, options));
      seen.push(result);
      return result;
    };
    const fail = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      seen.push(error);
    };

    // Lifecycle: every operation.
    const plain = await create(keyward, { name: 'plain', ownerId: 'acct_1', scopes: ['a:read'] });
    const testKey = await create(keyward, { name: 'test', environment: 'test' });
    const limited = await create(keyward, {
      name: 'limited',
      rateLimit: { capacity: 1, refillPerSecond: 0.001 },
      quota: { limit: 5, period: 'day' },
    });
    const quota = await create(keyward, { name: 'quota', quota: { limit: 1, period: 'month' } });
    const restricted = await create(keyward, {
      name: 'restricted',
      ips: ['10.0.0.0/8'],
      referrers: ['https://example.com/*'],
      metadata: { note: 'hello' },
    });
    const expiring = await create(keyward, { name: 'expiring', expiresAt: clock.now + 1000 });
    const disabled = await create(keyward, { name: 'disabled' });
    const revoked = await create(keyward, { name: 'revoked' });
    const rotating = await create(keyward, { name: 'rotating' });
    seen.push(await keyward.update(disabled.record.id, { disabled: true, name: 'disabled!' }));
    seen.push(await keyward.revoke(revoked.record.id, { reason: 'test' }));
    const rotated = await keyward.rotate(rotating.record.id, { gracePeriodMs: 500 });
    issued.push(rotated);
    seen.push(rotated, await keyward.get(plain.record.id), await keyward.list({ limit: 3 }));
    seen.push(await keyward.list({ ownerId: 'acct_1' }));

    // Every rejection path, and success.
    const wrong = withSecret(plain.key, otherSecret(secretOf(plain.key)));
    await verify(keyward, bearer(plain.key), { scopes: ['a:read'] });
    await verify(keyward, { headers: {} });
    await verify(keyward, {
      headers: { authorization: `Bearer ${plain.key}`, 'x-api-key': limited.key },
    });
    await verify(keyward, bearer(plain.key.slice(0, -2)));
    await verify(liveOnly, bearer(testKey.key));
    await verify(keyward, bearer(wrong));
    await verify(keyward, bearer(plain.key), { scopes: ['b:write'] });
    await verify(keyward, bearer(limited.key));
    await verify(keyward, bearer(limited.key));
    await verify(keyward, bearer(quota.key));
    await verify(keyward, bearer(quota.key));
    await verify(keyward, bearer(restricted.key, { ip: '11.0.0.1' }));
    await verify(keyward, bearer(restricted.key, { ip: '10.0.0.1' }));
    await verify(keyward, bearer(disabled.key));
    await verify(keyward, bearer(revoked.key));
    await verify(keyward, bearer(rotating.key));
    await verify(keyward, bearer(rotated.key));
    clock.advance(1000);
    await verify(keyward, bearer(expiring.key));
    await verify(keyward, bearer(rotating.key));
    await verify(noKeyStore, bearer(plain.key));
    await verify(noLimits, bearer(limited.key));
    for (let i = 0; i < 6; i++) await verify(keyward, bearer(wrong, { ip: '192.0.2.99' }));
    await verify(keyward, bearer(plain.key, { ip: '192.0.2.99' }));

    // Error paths, including the classic mistake of passing the full key where an id belongs.
    await fail(keyward.create({ name: 'bad', ips: ['10.0.0.1/8'] }));
    await fail(keyward.update(plain.record.id, { name: 'x' }, { expectedVersion: 99 }));
    await fail(keyward.revoke('000000000000'));
    await fail(keyward.revoke(plain.key));
    await fail(keyward.update(plain.key, { disabled: true }));
    await fail(keyward.rotate(revoked.record.id));
    await fail(noKeyStore.get(plain.record.id));
    seen.push(await keyward.get(plain.key));

    seen.push(events, keyward, liveOnly, noKeyStore);

    const codes = new Set(
      events.filter((e) => e.type === 'key.rejected').map((e) => (e as { code: string }).code),
    );
    expect([...codes].sort()).toEqual(
      [
        'ambiguous_key',
        'disabled_key',
        'expired_key',
        'insufficient_scope',
        'invalid_key',
        'ip_not_allowed',
        'malformed_key',
        'missing_key',
        'quota_exceeded',
        'rate_limited',
        'referrer_not_allowed',
        'revoked_key',
        'store_unavailable',
        'too_many_failures',
        'wrong_environment',
      ].sort(),
    );
    expect(events.some((e) => e.type === 'anomaly')).toBe(true);
    expect(issued.length).toBeGreaterThan(8);
    expect(store.hashes.size).toBeGreaterThan(8);

    const needles: string[] = [];
    for (const { key } of issued) {
      expect(typeof key).toBe('string');
      needles.push(key, secretOf(key), ...windows(secretOf(key)));
    }
    needles.push(wrong, ...windows(secretOf(wrong)));
    for (const hash of store.hashes) needles.push(hash, hash.slice(hash.lastIndexOf(':') + 1));
    needles.push(PEPPER);

    const texts = [...seen, ...events, ...issued].flatMap(renderings);
    for (const text of texts) {
      for (const needle of needles) {
        if (text.includes(needle)) {
          throw new Error(
            `secret material found in: ${text.slice(0, 200).replace(needle, '<LEAK>')}`,
          );
        }
      }
    }
  });

  it('the full key of an IssuedKey is readable directly but absent from inspect, JSON and String', async () => {
    const keyward = createKeyward({ prefix: PREFIX, store: new MemoryStore() });
    const issued = await keyward.create({ name: 'x' });
    const secret = secretOf(issued.key);
    expect(issued.key.length).toBe(PREFIX.length + 68);
    for (const text of renderings(issued)) {
      expect(text).not.toContain(secret);
      expect(text).toContain(issued.record.redacted);
    }
    expect(`${issued}`).toBe(issued.record.redacted);
  });
});
