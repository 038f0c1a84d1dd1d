import { describe, expect, it } from 'vitest';
import { createKeyward } from '../keyward.js';
import { bearer, PREFIX, RecordingStore, settle } from '../test-helpers.js';
import { DIGEST_LENGTH, DIGEST_WORDS, digestDifferenceAt, digestToWords } from './hash.js';

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
  const matches = (difference: number) => 1 - difference;

  it('finds every one-bit difference in any word, and only a true match', () => {
    const digest = new Int32Array(DIGEST_WORDS).map((_, i) => Math.imul(i + 1, 0x9e3779b9));
    const arena = new Int32Array(4 * DIGEST_WORDS);
    for (const offset of [0, DIGEST_WORDS, 2 * DIGEST_WORDS + 1, 3 * DIGEST_WORDS]) {
      arena.fill(0);
      arena.set(digest, offset);
      expect(digestDifferenceAt(digest, arena, offset)).toBe(0);
      expect(matches(digestDifferenceAt(digest, arena, offset))).toBe(1);
      for (let word = 0; word < DIGEST_WORDS; word++) {
        for (let bit = 0; bit < 32; bit++) {
          arena[offset + word]! ^= 1 << bit;
          expect(digestDifferenceAt(digest, arena, offset)).toBe(1);
          arena[offset + word]! ^= 1 << bit;
        }
      }
      expect(digestDifferenceAt(digest, arena, offset)).toBe(0);
    }
    // Out of range, or not a digest's length: never a match.
    expect(digestDifferenceAt(digest, arena, 3 * DIGEST_WORDS + 1)).toBe(1);
    expect(digestDifferenceAt(digest, arena, -1)).toBe(1);
    expect(digestDifferenceAt(new Int32Array(4), arena, 0)).toBe(1);
  });

  it('compares the words digestToWords makes of a digest, big-endian', () => {
    const bytes = new Uint8Array(DIGEST_LENGTH).map((_, i) => (i * 37 + 11) & 0xff);
    const words = new Int32Array(DIGEST_WORDS + 2);
    digestToWords(bytes, words, 2);
    expect(words[2]! >>> 0).toBe(0x0b30557a);
    const view = new DataView(new ArrayBuffer(DIGEST_LENGTH));
    for (let i = 0; i < DIGEST_WORDS; i++) view.setInt32(4 * i, words[2 + i]!, false);
    expect(new Uint8Array(view.buffer)).toEqual(bytes);
  });
});
