import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyward } from '../keyward.js';
import { MemoryStore } from '../stores/memory-store.js';
import { AsyncKeyStore, bearer, PREFIX, wrongChecksum } from '../test-helpers.js';
import {
  formatKey,
  keyBytes,
  newKeyId,
  newSecret,
  parseKey,
  readKey,
  releaseKeyBytes,
  secretOffsetOf,
} from './format.js';
import { digestToWords, normalizePeppers, SecretHasher } from './hash.js';

/** Whether the key-bytes scratch holds nothing (no key, no secret). */
const scratchIsEmpty = () => keyBytes().every((byte) => byte === 0);

const prefixes = fc.stringMatching(/^[a-z][a-z0-9]{1,15}$/);
const environments = fc.stringMatching(/^[a-z][a-z0-9]{1,7}$/).filter((name) => name !== 'pk');
const types = fc.constantFrom('secret' as const, 'publishable' as const);

describe('parseKey reads the key as bytes', () => {
  it('round-trips keys of every prefix and environment length (each CRC-32 tail length)', () => {
    fc.assert(
      fc.property(prefixes, environments, types, (prefix, environment, type) => {
        const id = newKeyId();
        const secret = newSecret();
        const key = formatKey(prefix, environment, id, secret, type);
        const read = readKey(key, prefix);
        expect(read).toEqual({ environment, type, id, secret });
        releaseKeyBytes(read!);
        // The public parse leaves no copy of the key behind.
        expect(parseKey(key, prefix)).toEqual({ environment, type, id, secret });
        expect(scratchIsEmpty()).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses any one character changed, to any ASCII or non-ASCII character', () => {
    fc.assert(
      fc.property(
        prefixes,
        environments,
        types,
        fc.nat(),
        fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0xffff })),
        (prefix, environment, type, at, code) => {
          const key = formatKey(prefix, environment, newKeyId(), newSecret(), type);
          const index = at % key.length;
          const changed = key.slice(0, index) + String.fromCharCode(code) + key.slice(index + 1);
          fc.pre(changed !== key);
          expect(readKey(changed, prefix)).toBeUndefined();
          expect(scratchIsEmpty()).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('the key-bytes scratch', () => {
  it('is wiped by a refusal and by releaseKeyBytes, and belongs to the last parse only', () => {
    const first = readKey(formatKey(PREFIX, 'live', newKeyId(), newSecret()), PREFIX)!;
    expect(secretOffsetOf(first)).toBe(PREFIX.length + 19);
    expect(scratchIsEmpty()).toBe(false);
    const second = readKey(formatKey(PREFIX, 'test', newKeyId(), newSecret()), PREFIX)!;
    expect(secretOffsetOf(first)).toBe(-1);
    expect(secretOffsetOf(second)).toBe(PREFIX.length + 19);
    releaseKeyBytes(first); // not the owner: nothing happens
    expect(secretOffsetOf(second)).toBe(PREFIX.length + 19);
    releaseKeyBytes(second);
    expect(secretOffsetOf(second)).toBe(-1);
    expect(scratchIsEmpty()).toBe(true);
    expect(readKey(`${PREFIX}_live_${'x'.repeat(62)}`, PREFIX)).toBeUndefined();
    expect(scratchIsEmpty()).toBe(true);
  });

  it('holds nothing after any verification: cached, refused, wrong environment, read from a store', async () => {
    const keyward = createKeyward({ prefix: PREFIX, store: new MemoryStore() });
    const { key } = await keyward.create({ name: 'a' });
    const other = await createKeyward({ prefix: PREFIX, store: new MemoryStore() }).create({
      name: 'b',
    });
    for (const request of [
      bearer(key),
      bearer(key), // cached
      bearer(other.key), // unknown id
      bearer(wrongChecksum(key)),
    ]) {
      await keyward.verify(request);
      expect(scratchIsEmpty()).toBe(true);
    }
    const live = createKeyward({
      prefix: PREFIX,
      store: new MemoryStore(),
      environments: ['test'],
    });
    expect(await live.verify(bearer(key))).toMatchObject({ code: 'wrong_environment' });
    expect(scratchIsEmpty()).toBe(true);
    const remote = createKeyward({
      prefix: PREFIX,
      keyStore: new AsyncKeyStore(),
      limitStore: new MemoryStore(),
    });
    const created = await remote.create({ name: 'c' });
    const pending = remote.verify(bearer(created.key));
    expect(scratchIsEmpty()).toBe(true);
    expect(await pending).toMatchObject({ ok: true });
    expect(scratchIsEmpty()).toBe(true);
    const throwing = createKeyward({
      prefix: PREFIX,
      keyStore: {
        ...new MemoryStore(),
        getKey() {
          throw new Error('down');
        },
        insertKey() {},
        updateKey: () => true,
        listKeys: () => ({ items: [] }),
      },
      limitStore: new MemoryStore(),
    });
    expect(await throwing.verify(bearer(key))).toMatchObject({ code: 'store_unavailable' });
    expect(scratchIsEmpty()).toBe(true);
    // A throttled client: its junk is refused without a store read, and leaves nothing.
    const throttled = createKeyward({
      prefix: PREFIX,
      store: new MemoryStore(),
      failedAttempts: { capacity: 1, refillPerSecond: 0.001 },
    });
    for (let i = 0; i < 3; i++) {
      await throttled.verify(bearer(other.key, { ip: '203.0.113.9' }));
      expect(scratchIsEmpty()).toBe(true);
    }
    expect(await throttled.verify(bearer(other.key, { ip: '203.0.113.9' }))).toMatchObject({
      code: 'too_many_failures',
    });
    // Still throttled: a well-formed key of an id never seen (no cache slot hashes and wipes it)
    // and one of an environment the deployment does not accept leave nothing either.
    for (const environment of ['live', 'staging']) {
      const fresh = formatKey(PREFIX, environment, newKeyId(), newSecret());
      const refused = await throttled.verify(bearer(fresh, { ip: '203.0.113.9' }));
      expect(refused).toMatchObject({ ok: false });
      expect(scratchIsEmpty()).toBe(true);
    }
    await Promise.all([
      keyward.close(),
      live.close(),
      remote.close(),
      throwing.close(),
      throttled.close(),
    ]);
  });
});

describe('SecretHasher.digestSecretWords', () => {
  it('equals digestInto of the secret string, from the scratch and after another parse', () => {
    const hasher = new SecretHasher(
      normalizePeppers({
        current: 'v2',
        peppers: { v1: 'the first pepper, long enough', v2: 'x'.repeat(100) },
      }),
    );
    for (const version of [undefined, 'v1', 'v2']) {
      for (let i = 0; i < 20; i++) {
        const secret = newSecret();
        const bytes = new Uint8Array(32);
        hasher.digestInto(secret, version, bytes);
        const expected = new Int32Array(8);
        digestToWords(bytes, expected, 0);
        const parsed = readKey(formatKey(PREFIX, 'live', newKeyId(), secret), PREFIX)!;
        const fromBytes = new Int32Array(8);
        expect(hasher.digestSecretWords(parsed, version, fromBytes)).toBe(true);
        expect(fromBytes).toEqual(expected);
        readKey(formatKey(PREFIX, 'live', newKeyId(), newSecret()), PREFIX);
        const fromString = new Int32Array(8);
        expect(secretOffsetOf(parsed)).toBe(-1);
        expect(hasher.digestSecretWords(parsed, version, fromString)).toBe(true);
        expect(fromString).toEqual(expected);
      }
    }
    const parsed = readKey(formatKey(PREFIX, 'live', newKeyId(), newSecret()), PREFIX)!;
    expect(hasher.digestSecretWords(parsed, 'v9', new Int32Array(8))).toBe(false);
  });
});
