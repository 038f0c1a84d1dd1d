import { describe, expect, it } from 'vitest';
import { createKeyward } from './keyward.js';
import { MemoryStore } from './stores/memory-store.js';
import { AsyncKeyStore, bearer, fakeClock, PREFIX, settle, setup } from './test-helpers.js';
import type { VerifyResult } from './types.js';

const isPromise = (value: unknown) => typeof (value as { then?: unknown })?.then === 'function';

async function codeOf(result: VerifyResult | Promise<VerifyResult>) {
  const settled = await settle(result);
  return settled.ok ? 'ok' : settled.code;
}

function asyncSetup(
  cache?: { max?: number; ttlMs?: number; negativeTtlMs?: number },
  storeTimeoutMs?: number,
) {
  const keyStore = new AsyncKeyStore(new MemoryStore(), 10);
  const clock = fakeClock();
  const keyward = createKeyward({
    prefix: PREFIX,
    keyStore,
    limitStore: new MemoryStore(),
    clock,
    failedAttempts: false,
    ...(cache === undefined ? {} : { cache }),
    ...(storeTimeoutMs === undefined ? {} : { storeTimeoutMs }),
  });
  return { keyward, keyStore, clock };
}

describe('record cache', () => {
  it('verify returns a plain object with MemoryStore, and a Promise on a miss with an async store', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'c' });
    const first = keyward.verify(bearer(key));
    expect(isPromise(first)).toBe(false);
    const cached = keyward.verify(bearer(key));
    expect(isPromise(cached)).toBe(false);
    expect((cached as VerifyResult).ok).toBe(true);

    const a = asyncSetup();
    const created = await a.keyward.create({ name: 'c' });
    const miss = a.keyward.verify(bearer(created.key));
    expect(isPromise(miss)).toBe(true);
    expect((await miss).ok).toBe(true);
    const hit = a.keyward.verify(bearer(created.key));
    expect(isPromise(hit)).toBe(false);
    expect((hit as VerifyResult).ok).toBe(true);
  });

  it('is bounded by cache.max (least recently used evicted)', async () => {
    const { keyward, store } = setup({ cache: { max: 2 } });
    const keys = [];
    for (let i = 0; i < 3; i++) keys.push((await keyward.create({ name: `k${i}` })).key);
    const reads = () => store.reads;
    const start = reads();
    for (const key of keys) await settle(keyward.verify(bearer(key)));
    expect(reads() - start).toBe(3);
    await settle(keyward.verify(bearer(keys[1]!)));
    await settle(keyward.verify(bearer(keys[2]!)));
    expect(reads() - start).toBe(3);
    await settle(keyward.verify(bearer(keys[0]!)));
    expect(reads() - start).toBe(4);
  });

  it('cache.max 0 disables caching', async () => {
    const { keyward, store } = setup({ cache: { max: 0 } });
    const { key } = await keyward.create({ name: 'c' });
    const start = store.reads;
    for (let i = 0; i < 3; i++) await settle(keyward.verify(bearer(key)));
    expect(store.reads - start).toBe(3);
  });

  it('sees a record changed directly in the store only after ttlMs', async () => {
    const { keyward, store, clock } = setup({ cache: { ttlMs: 30_000 } });
    const { key, record } = await keyward.create({ name: 'c' });
    expect(await codeOf(keyward.verify(bearer(key)))).toBe('ok');
    const stored = store.getKey(record.id)!;
    store.updateKey({ ...stored, disabled: true, version: stored.version + 1 }, stored.version);
    clock.advance(29_999);
    expect(await codeOf(keyward.verify(bearer(key)))).toBe('ok');
    clock.advance(1);
    expect(await codeOf(keyward.verify(bearer(key)))).toBe('disabled_key');
  });

  it('remembers an unknown id for negativeTtlMs (one store read)', async () => {
    const { keyward, store, clock } = setup({
      cache: { negativeTtlMs: 5_000 },
      failedAttempts: false,
    });
    const other = createKeyward({ prefix: PREFIX });
    const { key } = await other.create({ name: 'elsewhere' });
    const start = store.reads;
    for (let i = 0; i < 10; i++)
      expect(await codeOf(keyward.verify(bearer(key)))).toBe('invalid_key');
    expect(store.reads - start).toBe(1);
    clock.advance(5_000);
    expect(await codeOf(keyward.verify(bearer(key)))).toBe('invalid_key');
    expect(store.reads - start).toBe(2);
  });

  it('sees a key inserted behind its back once the negative entry expires', async () => {
    const { keyward, store, clock } = setup({
      cache: { negativeTtlMs: 5_000 },
      failedAttempts: false,
    });
    const other = new MemoryStore();
    const { key, record } = await createKeyward({ prefix: PREFIX, store: other }).create({
      name: 'x',
    });
    expect(await codeOf(keyward.verify(bearer(key)))).toBe('invalid_key');
    store.insertKey(other.getKey(record.id)!);
    clock.advance(4_999);
    expect(await codeOf(keyward.verify(bearer(key)))).toBe('invalid_key');
    clock.advance(1);
    expect(await codeOf(keyward.verify(bearer(key)))).toBe('ok');
  });

  it('makes one store read for many concurrent misses of the same id', async () => {
    const { keyward, keyStore } = asyncSetup();
    const { key } = await keyward.create({ name: 'c' });
    const start = keyStore.reads;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => keyward.verify(bearer(key))),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(keyStore.reads - start).toBe(1);
  });

  it("applies this process's own revoke and update at once", async () => {
    const { keyward } = setup({ cache: { ttlMs: 3_600_000 } });
    const { key, record } = await keyward.create({ name: 'c', scopes: ['a:read'] });
    expect(await codeOf(keyward.verify(bearer(key), { scopes: ['a:read'] }))).toBe('ok');
    await keyward.update(record.id, { scopes: ['b:read'] });
    expect(await codeOf(keyward.verify(bearer(key), { scopes: ['a:read'] }))).toBe(
      'insufficient_scope',
    );
    await keyward.update(record.id, { disabled: true });
    expect(await codeOf(keyward.verify(bearer(key)))).toBe('disabled_key');
    await keyward.revoke(record.id);
    expect(await codeOf(keyward.verify(bearer(key)))).toBe('revoked_key');
  });

  it('does not let a store read that started before a revoke re-insert the stale record', async () => {
    // The held read must outlive a stalled machine: timed out, it would prove nothing.
    const { keyward, keyStore } = asyncSetup({ ttlMs: 3_600_000 }, 60_000);
    const { key, record } = await keyward.create({ name: 'c' });
    const release = keyStore.holdNext();
    const inFlight = keyward.verify(bearer(key)); // reads the record as it is before the revoke
    expect(isPromise(inFlight)).toBe(true);
    await keyward.revoke(record.id);
    release();
    expect(await codeOf(inFlight)).toBe('ok');
    expect(await codeOf(keyward.verify(bearer(key)))).toBe('revoked_key');
  });
});
