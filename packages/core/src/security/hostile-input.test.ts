import { describe, expect, it } from 'vitest';
import { bearer, settle, setup } from '../test-helpers.js';
import type { VerifyRequest, VerifyResult } from '../types.js';

/** A generous bound: linear parsing of these inputs takes microseconds; a regex blow-up takes seconds. */
const MAX_MS_PER_CALL = 50;
const KIB_64 = 64 * 1024;

function code(result: VerifyResult): string {
  return result.ok ? 'ok' : result.code;
}

/**
 * Verifies `request` once to warm up, then five more times; every call must give the same code
 * (a throw fails the test). Reports the median duration, which a GC pause or a busy neighbour on
 * a shared machine cannot push over the bound, but a super-linear parser would.
 */
async function timedVerify(
  keyward: ReturnType<typeof setup>['keyward'],
  request: VerifyRequest,
): Promise<{ code: string; ms: number }> {
  const first = code(await settle(keyward.verify(request)));
  const durations: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const result = await settle(keyward.verify(request));
    durations.push(performance.now() - started);
    expect(code(result)).toBe(first);
  }
  durations.sort((a, b) => a - b);
  return { code: first, ms: durations[2]! };
}

describe('key parsing stays linear on long near-misses', () => {
  const nearMisses: Array<[string, (key: string) => string]> = [
    ['prefix and env, then 100,000 base62 chars', () => 'acme_live_' + 'A'.repeat(100_000)],
    ['a valid key followed by 100,000 chars', (key) => key + 'A'.repeat(100_000)],
    ['100,000 underscores', () => '_'.repeat(100_000)],
    [
      'the key layout repeated to 100,000 chars',
      (key) => key.repeat(Math.ceil(100_000 / key.length)),
    ],
    [
      '100,000 chars that differ from a key only at the end',
      (key) => 'a'.repeat(100_000 - 1) + key,
    ],
    ['100,000 astral characters', () => '\u{1F511}'.repeat(50_000)],
  ];

  for (const [name, build] of nearMisses) {
    for (const header of ['authorization', 'x-api-key'] as const) {
      it(`answers malformed_key quickly for ${name} in ${header}`, async () => {
        const { keyward } = setup({ failedAttempts: false });
        const { key } = await keyward.create({ name: 'real' });
        const value = build(key);
        const headers = { [header]: header === 'authorization' ? `Bearer ${value}` : value };
        const { code: c, ms } = await timedVerify(keyward, { headers, ip: '192.0.2.1' });
        expect(c).toBe('malformed_key');
        expect(ms).toBeLessThan(MAX_MS_PER_CALL);
      });
    }
  }
});

describe('64 KiB headers', () => {
  it('rejects a 64 KiB key header as malformed_key quickly', async () => {
    const { keyward } = setup({ failedAttempts: false });
    for (const value of ['A'.repeat(KIB_64), 'a,'.repeat(KIB_64 / 2), ' '.repeat(KIB_64)]) {
      const { code: c, ms } = await timedVerify(keyward, { headers: { 'x-api-key': value } });
      expect(['malformed_key', 'ambiguous_key']).toContain(c);
      expect(ms).toBeLessThan(MAX_MS_PER_CALL);
    }
  });

  it('rejects a 64 KiB Authorization header, Bearer or not, without throwing', async () => {
    const { keyward } = setup({ failedAttempts: false });
    const values = [
      `Bearer ${'A'.repeat(KIB_64)}`,
      `Bearer ${' '.repeat(KIB_64)}x`,
      `Bearer ${'x,Bearer '.repeat(KIB_64 / 9)}`,
      'Bearer'.repeat(KIB_64 / 6),
    ];
    for (const value of values) {
      const { code: c, ms } = await timedVerify(keyward, { headers: { authorization: value } });
      expect(['malformed_key', 'missing_key', 'ambiguous_key']).toContain(c);
      expect(ms).toBeLessThan(MAX_MS_PER_CALL);
    }
  });

  it('verifies a valid key next to 64 KiB of other headers, in headers and rawHeaders', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'real' });
    const big = 'x'.repeat(KIB_64);
    const headers = { authorization: `Bearer ${key}`, cookie: big, 'x-padding': big };
    const rawHeaders = ['Cookie', big, 'Authorization', `Bearer ${key}`, 'X-Padding', big];
    expect((await timedVerify(keyward, { headers })).code).toBe('ok');
    expect((await timedVerify(keyward, { headers, rawHeaders })).code).toBe('ok');
  });

  it('handles 10,000 repeated key headers in rawHeaders and a 10,000-item header array', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'real' });
    const rawHeaders = Array.from({ length: 10_000 }, () => ['x-api-key', key]).flat();
    const same = await timedVerify(keyward, { headers: {}, rawHeaders });
    expect(same.code).toBe('ambiguous_key');
    expect(same.ms).toBeLessThan(MAX_MS_PER_CALL);
    const mixed = await timedVerify(keyward, {
      headers: { 'x-api-key': Array.from({ length: 10_000 }, (_, i) => (i === 9_999 ? 'x' : key)) },
    });
    expect(mixed.code).toBe('ambiguous_key');
    expect(mixed.ms).toBeLessThan(MAX_MS_PER_CALL);
  });
});

describe('prototype-named headers, values and IPs', () => {
  const names = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf'];

  it('treats prototype names as header values like any malformed key', async () => {
    const { keyward } = setup({ failedAttempts: false });
    for (const name of names) {
      expect((await timedVerify(keyward, bearer(name))).code).toBe('malformed_key');
      expect((await timedVerify(keyward, { headers: { 'x-api-key': name } })).code).toBe(
        'malformed_key',
      );
      expect(
        (await timedVerify(keyward, { headers: {}, rawHeaders: ['x-api-key', name] })).code,
      ).toBe('malformed_key');
    }
  });

  it('ignores own headers named after prototype members', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'real' });
    const withNames = (extra: Record<string, string>) => {
      const headers: Record<string, unknown> = {};
      for (const name of names) {
        Object.defineProperty(headers, name, { value: 'x', enumerable: true });
      }
      return Object.assign(headers, extra) as VerifyRequest['headers'];
    };
    expect(Object.keys(withNames({}))).toContain('__proto__');
    expect((await timedVerify(keyward, { headers: withNames({}) })).code).toBe('missing_key');
    expect(
      (await timedVerify(keyward, { headers: withNames({ authorization: `Bearer ${key}` }) })).code,
    ).toBe('ok');
    const parsed = JSON.parse(`{"__proto__": "Bearer ${key}", "x-api-key": "${key}"}`);
    expect((await timedVerify(keyward, { headers: parsed })).code).toBe('ok');
    const rawHeaders = names.flatMap((name) => [name, 'x']);
    expect((await timedVerify(keyward, { headers: {}, rawHeaders })).code).toBe('missing_key');
  });

  it('reads no inherited property when a key header is named constructor', async () => {
    const { keyward } = setup({ keyHeaders: ['constructor'] });
    const { key } = await keyward.create({ name: 'real' });
    expect((await timedVerify(keyward, { headers: {} })).code).toBe('missing_key');
    expect((await timedVerify(keyward, { headers: { constructor: key } })).code).toBe('ok');
  });

  it('accepts headers made with Object.create(null)', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'real' });
    const empty = Object.create(null) as Record<string, string>;
    expect((await timedVerify(keyward, { headers: empty })).code).toBe('missing_key');
    const headers = Object.create(null) as Record<string, string>;
    headers['authorization'] = `Bearer ${key}`;
    expect((await timedVerify(keyward, { headers })).code).toBe('ok');
  });

  it('throttles a client whose IP is a prototype name like any other', async () => {
    const { keyward } = setup();
    for (const ip of ['__proto__', 'constructor', 'hasOwnProperty']) {
      const codes = new Set<string>();
      for (let i = 0; i < 30; i++) {
        codes.add(code(await settle(keyward.verify(bearer('acme_live_nope', { ip })))));
      }
      expect(codes).toEqual(new Set(['malformed_key', 'too_many_failures']));
    }
  });
});
