import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createKeyward, type Keyward } from '../keyward.js';
import { bearer, PREFIX, RecordingStore, wrongChecksum } from '../test-helpers.js';
import { formatKey, parseKey, redactKey } from './format.js';
import { scanForKeys } from './scan.js';

const KEY_SHAPE = /^acme_(live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}$/;
const KEY_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_';

describe('key format', () => {
  let keyward: Keyward;
  let store: RecordingStore;
  const issued: { key: string; id: string; environment: 'live' | 'test' }[] = [];

  beforeAll(async () => {
    store = new RecordingStore();
    keyward = createKeyward({ prefix: PREFIX, store, failedAttempts: false });
    for (let i = 0; i < 40; i++) {
      const environment = i % 2 === 0 ? 'live' : 'test';
      const { key, record } = await keyward.create({ name: `k${i}`, environment });
      issued.push({ key, id: record.id, environment });
    }
  });

  it('issues keys of the documented shape and length', () => {
    for (const { key, id, environment } of issued) {
      expect(key).toMatch(KEY_SHAPE);
      expect(key.length).toBe(PREFIX.length + 1 + 4 + 1 + 12 + 1 + 43 + 6);
      expect(key.length).toBeLessThanOrEqual(100);
      expect(key.startsWith(`${PREFIX}_${environment}_${id}_`)).toBe(true);
    }
  });

  it('parseKey round-trips every generated key', () => {
    fc.assert(
      fc.property(fc.constantFrom(...issued), ({ key, id, environment }) => {
        const parsed = parseKey(key, PREFIX);
        expect(parsed).toEqual({
          environment,
          type: 'secret',
          id,
          secret: key.slice(PREFIX.length + 19, -6),
        });
        expect(parsed?.secret).toMatch(/^[0-9A-Za-z]{43}$/);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a key under another prefix', () => {
    expect(parseKey(issued[0]!.key, 'acmf')).toBeUndefined();
    expect(parseKey(issued[0]!.key, 'acm')).toBeUndefined();
  });

  it('never accepts a single-character substitution, and never reads the store for it', () => {
    const substitution = fc.record({
      which: fc.nat({ max: issued.length - 1 }),
      at: fc.nat({ max: 200 }),
      char: fc.oneof(
        fc.constantFrom(...KEY_CHARS.split('')),
        fc.constantFrom('-', ' ', '\u0000', '\u0410', '\uff10', '\u200b', '\ufeff', '.'),
      ),
    });
    let substituted = 0;
    fc.assert(
      fc.property(substitution, ({ which, at, char }) => {
        const key = issued[which]!.key;
        const i = at % key.length;
        if (key[i] === char) return;
        substituted++;
        const mutated = key.slice(0, i) + char + key.slice(i + 1);
        const readsBefore = store.reads;
        const result = keyward.verify(bearer(mutated, { ip: undefined }));
        if (typeof (result as Promise<unknown>).then === 'function') {
          throw new Error('MemoryStore verify must answer synchronously');
        }
        const r = result as Exclude<typeof result, Promise<unknown>>;
        expect(r.ok).toBe(false);
        // CRC-32 catches every single-character change, and the charset check every other byte.
        expect(r.ok === false && r.code).toBe('malformed_key');
        expect(store.reads).toBe(readsBefore);
      }),
      { numRuns: 1000 },
    );
    expect(substituted).toBeGreaterThan(900);
  });

  it('accepts, with a right checksum, exactly the base62 digits at every place of the environment, id and secret', () => {
    // The checksum is public: a key made up with any char and its CRC recomputed must still be
    // refused by the charset check alone. Every ASCII char (and a few others) at every place.
    const id = 'AbCdEfGh1234';
    const secret = 'x'.repeat(43);
    const chars = [
      ...Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)),
      '\u00e9',
      '\u0410',
      '\uff10',
    ];
    const isBase62 = (char: string) => /^[0-9A-Za-z]$/.test(char);
    let accepted = 0;
    for (const type of ['secret', 'publishable'] as const) {
      for (const part of ['environment', 'id', 'secret'] as const) {
        const length = part === 'environment' ? 4 : part === 'id' ? 12 : 43;
        for (let at = 0; at < length; at++) {
          for (const char of chars) {
            const put = (text: string) => text.slice(0, at) + char + text.slice(at + 1);
            const environment = part === 'environment' ? put('live') : 'live';
            const key = formatKey(
              PREFIX,
              environment,
              part === 'id' ? put(id) : id,
              part === 'secret' ? put(secret) : secret,
              type,
            );
            const parsed = parseKey(key, PREFIX);
            const expected =
              part === 'environment' ? /^[a-z][a-z0-9]{1,7}$/.test(environment) : isBase62(char);
            expect({ part, at, char, type, accepted: parsed !== undefined }).toEqual({
              part,
              at,
              char,
              type,
              accepted: expected,
            });
            if (parsed !== undefined) accepted++;
          }
        }
      }
    }
    expect(accepted).toBe(2 * (4 * 36 - 10 + 55 * 62));
  });

  it('refuses every key for a prefix holding `_` or a char other than a letter or digit', () => {
    for (const prefix of ['my_app', 'my-app', 'ac.me', 'acmé']) {
      const key = formatKey(prefix, 'live', 'AbCdEfGh1234', 'x'.repeat(43));
      expect({ prefix, parsed: parseKey(key, prefix) }).toEqual({ prefix, parsed: undefined });
    }
  });

  it('rejects inserted or deleted characters as malformed', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: issued.length - 1 }),
        fc.nat({ max: 200 }),
        fc.boolean(),
        (which, at, insert) => {
          const key = issued[which]!.key;
          const i = at % key.length;
          const mutated = insert
            ? `${key.slice(0, i)}A${key.slice(i)}`
            : key.slice(0, i) + key.slice(i + 1);
          expect(parseKey(mutated, PREFIX)).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('parseKey never throws on hostile input and never accepts it', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 120 })),
        (input) => {
          expect(parseKey(input, PREFIX)).toBeUndefined();
        },
      ),
      { numRuns: 1000 },
    );
    for (const input of [undefined, null, 42, {}, [], 'a'.repeat(100_000)]) {
      expect(parseKey(input, PREFIX)).toBeUndefined();
    }
  });

  it('redactKey keeps only prefix, environment and id', () => {
    const { key, id, environment } = issued[0]!;
    const redacted = redactKey(PREFIX, environment, id);
    expect(redacted).toBe(`${PREFIX}_${environment}_${id}_…`);
    expect(key.startsWith(redacted.slice(0, -1))).toBe(true);
  });

  it('scanForKeys finds issued keys in text with their position, redacted', () => {
    const { key, id } = issued[1]!;
    const lookalike = wrongChecksum(key);
    const text = `line one\nconst k = "${key}";\n${lookalike}`;
    const found = scanForKeys(text, [PREFIX]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 2, column: 12, prefix: PREFIX, id });
    expect(JSON.stringify(found)).not.toContain(key.slice(PREFIX.length + 19));
  });

  it("the tests' wrongChecksum never gives back a valid key, also for keys ending in x", () => {
    // A fixed last character would be the key itself for the 1 key in 62 that already ends in it
    // (a test failed that way once in CI).
    const keys = issued.map((i) => i.key);
    for (const secret of ['x'.repeat(43), 'y'.repeat(43), 'A'.repeat(43)]) {
      for (let n = 0; n < 62 * 62; n++) {
        const key = formatKey(PREFIX, 'live', n.toString(36).padStart(12, '0'), secret);
        if (key.endsWith('x') || key.endsWith('y')) keys.push(key);
      }
    }
    expect(keys.some((key) => key.endsWith('x'))).toBe(true);
    for (const key of keys) {
      expect(parseKey(key, PREFIX)).toBeDefined();
      expect(parseKey(wrongChecksum(key), PREFIX)).toBeUndefined();
    }
  });
});
