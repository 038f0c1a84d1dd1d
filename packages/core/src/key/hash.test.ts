import { describe, expect, it } from 'vitest';
import { createKeyward } from '../keyward.js';
import { bearer, PREFIX, RecordingStore, settle } from '../test-helpers.js';
import { DIGEST_LENGTH, digestDifferenceAt } from './hash.js';

const V1 = 'pepper-one-0123456789abcdef';
const V2 = 'pepper-two-0123456789abcdef';
const B64URL_DIGEST = '[A-Za-z0-9_-]{43}';

async function codeOf(result: ReturnType<ReturnType<typeof createKeyward>['verify']>) {
  const settled = await settle(result);
  return settled.ok ? 'ok' : settled.code;
}

describe('secret hashing and peppers', () => {
  it('stores a tagged SHA-256 without a pepper', async () => {
    const store = new RecordingStore();
    const keyward = createKeyward({ prefix: PREFIX, store });
    await keyward.create({ name: 'x' });
    expect([...store.hashes]).toEqual([
      expect.stringMatching(new RegExp(`^sha256:${B64URL_DIGEST}$`)),
    ]);
  });

  it('stores HMAC hashes tagged hmac-sha256:<version>:', async () => {
    const store = new RecordingStore();
    const plain = createKeyward({ prefix: PREFIX, store, pepper: V1 });
    await plain.create({ name: 'x' });
    const versioned = createKeyward({
      prefix: PREFIX,
      store,
      pepper: { current: 'v2', peppers: { v1: V1, v2: V2 } },
    });
    await versioned.create({ name: 'y' });
    const hashes = [...store.hashes];
    expect(hashes[0]).toMatch(new RegExp(`^hmac-sha256:v1:${B64URL_DIGEST}$`));
    expect(hashes[1]).toMatch(new RegExp(`^hmac-sha256:v2:${B64URL_DIGEST}$`));
  });

  it('gives the same secret different hashes under different peppers', async () => {
    const store = new RecordingStore();
    const a = createKeyward({ prefix: PREFIX, store, pepper: V1 });
    const created = await a.create({ name: 'x' });
    // The same store read with a different pepper under the same version name fails.
    const b = createKeyward({ prefix: PREFIX, store, pepper: V2 });
    expect(await codeOf(b.verify(bearer(created.key)))).toBe('invalid_key');
    expect(await codeOf(a.verify(bearer(created.key)))).toBe('ok');
  });

  it('keeps keys created under v1 verifying after rotating the pepper to v2', async () => {
    const store = new RecordingStore();
    const before = createKeyward({
      prefix: PREFIX,
      store,
      pepper: { current: 'v1', peppers: { v1: V1 } },
    });
    const old = await before.create({ name: 'old' });
    const after = createKeyward({
      prefix: PREFIX,
      store,
      pepper: { current: 'v2', peppers: { v1: V1, v2: V2 } },
    });
    const fresh = await after.create({ name: 'new' });
    expect(await codeOf(after.verify(bearer(old.key)))).toBe('ok');
    expect(await codeOf(after.verify(bearer(fresh.key)))).toBe('ok');
    // Rotating the key moves it to the current pepper, keeping the v1 secret during the grace.
    const rotated = await after.rotate(old.record.id, { gracePeriodMs: 60_000 });
    expect([...store.hashes].at(-1)).toMatch(/^hmac-sha256:v2:/);
    expect(await codeOf(after.verify(bearer(rotated.key)))).toBe('ok');
    expect(await codeOf(after.verify(bearer(old.key)))).toBe('ok');
  });

  it('answers invalid_key (not a crash) for keys whose pepper version was removed', async () => {
    const store = new RecordingStore();
    const before = createKeyward({
      prefix: PREFIX,
      store,
      pepper: { current: 'v1', peppers: { v1: V1 } },
    });
    const old = await before.create({ name: 'old' });
    const after = createKeyward({
      prefix: PREFIX,
      store,
      pepper: { current: 'v2', peppers: { v2: V2 } },
    });
    expect(await codeOf(after.verify(bearer(old.key)))).toBe('invalid_key');
  });

  it('answers invalid_key for a record whose stored hash is unreadable', async () => {
    const store = new RecordingStore();
    const keyward = createKeyward({ prefix: PREFIX, store });
    const { key, record } = await keyward.create({ name: 'x' });
    const stored = store.getKey(record.id)!;
    for (const hash of ['', 'md5:abc', 'sha256:!!!', 'sha256:AAAA', 'hmac-sha256::xyz']) {
      store.updateKey({ ...stored, hash, version: stored.version + 1 }, stored.version);
      stored.version++;
      keyward.clearCache();
      expect(await codeOf(keyward.verify(bearer(key)))).toBe('invalid_key');
    }
  });
});

describe('digestDifferenceAt', () => {
  /** What verify makes of a difference: 1 for a match, 0 otherwise. */
  const matches = (difference: number) => (difference - 1) >>> 31;

  it('finds every one-bit difference at any byte, word-aligned or not, and only a true match', () => {
    const digest = new Uint8Array(DIGEST_LENGTH).map((_, i) => (i * 37 + 11) & 0xff);
    // An aligned arena (compared by words), and one that starts mid-word (compared by bytes).
    const aligned = new Uint8Array(4 * DIGEST_LENGTH);
    const unaligned = new Uint8Array(new ArrayBuffer(4 * DIGEST_LENGTH + 4), 1, 4 * DIGEST_LENGTH);
    for (const arena of [aligned, unaligned]) {
      for (const offset of [0, DIGEST_LENGTH, 2 * DIGEST_LENGTH + 4, 3 * DIGEST_LENGTH]) {
        arena.fill(0);
        arena.set(digest, offset);
        expect(digestDifferenceAt(digest, arena, offset)).toBe(0);
        expect(matches(digestDifferenceAt(digest, arena, offset))).toBe(1);
        for (let byte = 0; byte < DIGEST_LENGTH; byte++) {
          for (let bit = 0; bit < 8; bit++) {
            arena[offset + byte]! ^= 1 << bit;
            const difference = digestDifferenceAt(digest, arena, offset);
            expect(difference).not.toBe(0);
            expect(matches(difference)).toBe(0);
            arena[offset + byte]! ^= 1 << bit;
          }
        }
        // The sign bit of a word, on its own, is a difference too.
        arena[offset + 3]! ^= 0x80;
        expect(matches(digestDifferenceAt(digest, arena, offset))).toBe(0);
        arena[offset + 3]! ^= 0x80;
      }
      expect(matches(digestDifferenceAt(digest, arena, 4 * DIGEST_LENGTH - 1))).toBe(0);
      expect(matches(digestDifferenceAt(digest, arena, -1))).toBe(0);
    }
  });
});
