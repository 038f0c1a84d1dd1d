import { describe, expect, it } from 'vitest';
import { formatKey, newKeyId } from './key/format.js';
import { SecretHasher } from './key/hash.js';
import { createKeyward } from './keyward.js';
import { loadKey, RecordCache, SLOT_WORDS } from './record-cache.js';
import { MemoryStore } from './stores/memory-store.js';
import {
  AsyncKeyStore,
  bearer,
  otherSecret,
  PREFIX,
  secretOf,
  settle,
  setup,
  withSecret,
} from './test-helpers.js';
import type { VerifyResult } from './types.js';

const peppers = new SecretHasher({ current: undefined, peppers: new Map() });

async function codeOf(result: VerifyResult | Promise<VerifyResult>) {
  const settled = await settle(result);
  return settled.ok ? 'ok' : settled.code;
}

describe('record cache slots', () => {
  it('reuses the slot of an evicted entry without mixing digests between ids', async () => {
    const { keyward, store } = setup({ cache: { max: 2 }, failedAttempts: false });
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push((await keyward.create({ name: `k${i}` })).key);
    for (let round = 0; round < 3; round++) {
      for (const key of keys) {
        expect(await codeOf(keyward.verify(bearer(key)))).toBe('ok');
        expect(await codeOf(keyward.verify(bearer(key)))).toBe('ok');
      }
    }
    // Each key read once per round: every entry was evicted and its slot taken by another id.
    expect(store.reads).toBeGreaterThanOrEqual(15);
    // A secret never verifies under another id, whichever slot that id now has.
    const [first, second] = keys as [string, string];
    const crossed = withSecret(second, secretOf(first));
    expect(await codeOf(keyward.verify(bearer(crossed)))).toBe('invalid_key');
  });

  it('keeps entries correct when the storage grows past its first allocation', async () => {
    const { keyward, store } = setup({ cache: { max: 3000 }, failedAttempts: false });
    const keys: string[] = [];
    for (let i = 0; i < 2100; i++) keys.push((await keyward.create({ name: `k${i}` })).key);
    for (const key of keys) expect(await codeOf(keyward.verify(bearer(key)))).toBe('ok');
    const reads = store.reads;
    // All still cached after growing twice, and still the right digest in each slot.
    for (const key of keys) {
      expect(await codeOf(keyward.verify(bearer(key)))).toBe('ok');
      const wrong = withSecret(key, otherSecret(secretOf(key)));
      expect(await codeOf(keyward.verify(bearer(wrong)))).toBe('invalid_key');
    }
    expect(store.reads).toBe(reads);
  });

  it('gives an unknown id random digests, and a record without a usable hash random halves', () => {
    const a = loadKey(PREFIX, undefined, peppers, 1);
    const b = loadKey(PREFIX, undefined, peppers, 1);
    expect(a.entry).toBeUndefined();
    expect(a.digests).toHaveLength(SLOT_WORDS);
    expect(a.digests).not.toEqual(b.digests);
    expect(a.digests.some((word) => word !== 0)).toBe(true);
    expect(a.currentVersion).toBe(peppers.current);
    expect(a.previousVersion).toBe(a.currentVersion);
  });

  it('keeps the most recently used ids, each in a slot of its own, as a plain LRU model does', () => {
    // The model: a Map re-inserted on every use iterates least recently used first.
    for (const max of [1, 2, 3, 7, 40]) {
      const cache = new RecordCache({ max, ttlMs: 1000, negativeTtlMs: 1000 });
      const model = new Map<string, number>();
      const ids = Array.from({ length: max + 5 }, () => newKeyId());
      let random = max * 7919;
      const next = (n: number) => {
        random = (Math.imul(random, 1103515245) + 12345) >>> 0;
        return random % n;
      };
      for (let step = 0; step < 3000; step++) {
        const id = ids[next(ids.length)]!;
        const op = next(10);
        const freshUntil = step + 1000;
        if (op < 4) {
          cache.set(id, loadKey(PREFIX, undefined, peppers, freshUntil), cache.epoch);
          model.delete(id);
          model.set(id, freshUntil);
          if (model.size > max) model.delete(model.keys().next().value!);
        } else if (op < 8) {
          const slot = cache.peek(id);
          const known = model.get(id);
          expect(slot >= 0).toBe(known !== undefined);
          if (known !== undefined) {
            expect(cache.freshUntil[slot]).toBe(known);
            model.delete(id);
            model.set(id, known);
          }
        } else if (op < 9) {
          cache.invalidate(id);
          model.delete(id);
        } else if (next(20) === 0) {
          cache.clear();
          model.clear();
        }
        expect(cache.size).toBe(model.size);
      }
      const slots = new Set<number>();
      for (const [id, freshUntil] of model) {
        const slot = cache.peek(id);
        expect(cache.freshUntil[slot]).toBe(freshUntil);
        slots.add(slot);
      }
      expect(slots.size).toBe(model.size);
      for (const id of ids) if (!model.has(id)) expect(cache.peek(id)).toBe(-1);
      expect(cache.digests.length).toBeLessThanOrEqual(max * SLOT_WORDS);
    }
  });

  it('returns a slot on delete, clear, overwrite and eviction, so storage stays bounded', () => {
    const cache = new RecordCache({ max: 4, ttlMs: 1000, negativeTtlMs: 1000 });
    const negative = () => loadKey(PREFIX, undefined, peppers, 10);
    for (let i = 0; i < 100; i++) {
      const id = newKeyId();
      cache.set(id, negative(), cache.epoch);
      cache.set(id, negative(), cache.epoch);
      if (i % 3 === 0) cache.invalidate(id);
      if (i % 17 === 0) cache.clear();
    }
    expect(cache.size).toBeLessThanOrEqual(4);
    expect(cache.digests.length).toBe(4 * SLOT_WORDS);
    const slots = new Set<number>();
    const ids = [newKeyId(), newKeyId(), newKeyId(), newKeyId()];
    for (const id of ids) cache.set(id, negative(), cache.epoch);
    for (const id of ids) slots.add(cache.get(id, 0));
    expect(slots.size).toBe(4);
    expect(Math.min(...slots)).toBeGreaterThanOrEqual(0);
    expect(cache.get(ids[0]!, 10)).toBe(-1);
  });

  it('does not cache an entry read before an invalidation', () => {
    const cache = new RecordCache({ max: 4, ttlMs: 1000, negativeTtlMs: 1000 });
    const id = newKeyId();
    const epoch = cache.epoch;
    cache.invalidate(newKeyId());
    cache.set(id, loadKey(PREFIX, undefined, peppers, 10), epoch);
    expect(cache.get(id, 0)).toBe(-1);
    expect(cache.size).toBe(0);
  });

  it('answers concurrent misses from their own read even when the slot was reused meanwhile', async () => {
    const keyStore = new AsyncKeyStore(new MemoryStore(), 5);
    const keyward = createKeyward({
      prefix: PREFIX,
      keyStore,
      limitStore: new MemoryStore(),
      failedAttempts: false,
      cache: { max: 1 },
    });
    const { key } = await keyward.create({ name: 'a' });
    const { key: other } = await keyward.create({ name: 'b' });
    const unknown = formatKey(PREFIX, 'live', newKeyId(), secretOf(key));
    const results = await Promise.all([
      keyward.verify(bearer(key)),
      keyward.verify(bearer(key)),
      keyward.verify(bearer(other)),
      keyward.verify(bearer(unknown)),
      keyward.verify(bearer(key)),
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual([
      'ok',
      'ok',
      'ok',
      'invalid_key',
      'ok',
    ]);
  });
});
