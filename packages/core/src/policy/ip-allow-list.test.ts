import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors.js';
import { bearer, settle, setup } from '../test-helpers.js';
import { compileIpAllowList } from './ip-allow-list.js';

function refusal(entries: unknown): InvalidOptionsError {
  try {
    compileIpAllowList(entries);
  } catch (error) {
    return error as InvalidOptionsError;
  }
  throw new Error('expected the allow-list to be refused');
}

describe('IP allow-list compilation', () => {
  it.each([
    ['10.0.0.1/8', 'host bits set'],
    ['10.0.0.0/33', 'prefix over 32'],
    ['0x7f.1', 'hex/abbreviated IPv4'],
    ['010.0.0.1', 'octal-looking IPv4'],
    ['127.1', 'abbreviated IPv4'],
    ['fe80::1%eth0', 'zone id'],
    ['2001:db8::/129', 'prefix over 128'],
    ['2001:db8::1/32', 'IPv6 host bits set'],
    ['10.0.0.0/08', 'prefix with a leading zero'],
    ['10.0.0.0/', 'empty prefix'],
    ['256.0.0.1', 'octet over 255'],
    ['example.com', 'a host name'],
    ['', 'empty'],
    [' 10.0.0.1', 'leading space'],
    ['::ffff:0x0a.0.0.1', 'hex octet in an IPv4-mapped address'],
    ['0:0:0:0:0:ffff:0x0a.0.0.1', 'hex octet in a long IPv4-mapped address'],
    ['::ffff:0177.0.0.1', 'octal-looking octet in an IPv4-mapped address'],
    ['::ffff:10.0.0.01', 'leading zero in an IPv4-mapped address'],
    ['::010.0.0.1', 'leading zero in an IPv4-compatible address'],
  ])('refuses %j (%s) with an error naming it', (entry) => {
    const error = refusal([entry]);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.code).toBe('invalid_options');
    expect(error.message).toContain(`"${entry}"`);
  });

  it('refuses a non-array and non-string entries', () => {
    expect(refusal('10.0.0.0/8').code).toBe('invalid_options');
    expect(refusal([42]).code).toBe('invalid_options');
  });

  it('keeps canonical entries, turning IPv4-mapped IPv6 entries into IPv4', () => {
    const list = compileIpAllowList([
      '10.0.0.0/8',
      '192.0.2.7/32',
      '::ffff:10.0.0.0/104',
      '2001:DB8::/32',
      '::ffff:192.0.2.9',
    ]);
    expect(list.entries).toEqual([
      '10.0.0.0/8',
      '192.0.2.7',
      '10.0.0.0/8',
      '2001:db8::/32',
      '192.0.2.9',
    ]);
  });
});

describe('IP allow-list matching', () => {
  const list = compileIpAllowList([
    '10.0.0.0/8',
    '192.0.2.7',
    '2001:db8::/32',
    '::ffff:198.51.100.0/120',
  ]);

  it.each([
    ['10.1.2.3', true],
    ['10.255.255.255', true],
    ['11.0.0.0', false],
    ['9.255.255.255', false],
    ['192.0.2.7', true],
    ['192.0.2.8', false],
    ['::ffff:10.1.2.3', true],
    ['::FFFF:10.1.2.3', true],
    ['::ffff:a01:203', true],
    ['0:0:0:0:0:ffff:10.1.2.3', true],
    ['::ffff:11.1.2.3', false],
    ['198.51.100.200', true],
    ['198.51.101.1', false],
    ['2001:db8::1', true],
    ['2001:db8:ffff:ffff::', true],
    ['2001:db9::1', false],
    ['::1', false],
    ['::10.1.2.3', false],
    ['::198.51.100.200', false],
    ['fe80::1%eth0', false],
    ['010.1.2.3', false],
    ['0x0a.1.2.3', false],
    ['10.1.2.3 ', false],
    ['garbage', false],
    ['', false],
  ])('%j → %s', (ip, expected) => {
    expect(list.matches(ip)).toBe(expected);
  });

  it('answers each list and address on its own while it remembers the last IP read', () => {
    const ten = compileIpAllowList(['10.0.0.0/8']);
    const doc = compileIpAllowList(['192.0.2.0/24', '2001:db8::/32']);
    const loopback = compileIpAllowList(['127.0.0.0/8']);
    const sequence: [typeof ten, string, boolean][] = [
      [ten, '10.1.1.1', true],
      [doc, '10.1.1.1', false],
      [ten, '10.1.1.1', true],
      [ten, '192.0.2.1', false],
      [doc, '192.0.2.1', true],
      [doc, '::ffff:192.0.2.1', true],
      [ten, '::ffff:10.1.1.1', true],
      [ten, '::ffff:10.1.1.1', true],
      [doc, '2001:db8::1', true],
      [doc, '2001:db8::1', true],
      [ten, '2001:db8::1', false],
      // Strict dotted decimal inside a mapped address, read twice (the second from memory).
      [loopback, '::ffff:0177.0.0.1', false],
      [loopback, '::ffff:0177.0.0.1', false],
      [loopback, '127.0.0.1', true],
      // The same text as a new string object.
      [ten, ['10', '1', '1', '1'].join('.'), true],
    ];
    for (const [list, ip, expected] of sequence) {
      expect({ ip, entries: list.entries, matches: list.matches(ip) }).toEqual({
        ip,
        entries: list.entries,
        matches: expected,
      });
    }
  });

  it('fails closed for a missing IP', () => {
    expect(list.matches(undefined)).toBe(false);
  });

  it('matches a 0.0.0.0/0 and ::/0 list for every parsable address', () => {
    const any = compileIpAllowList(['0.0.0.0/0', '::/0']);
    expect(any.matches('1.2.3.4')).toBe(true);
    expect(any.matches('2001:db8::5')).toBe(true);
    expect(any.matches('nope')).toBe(false);
  });
});

describe('IP restrictions through verify', () => {
  it('matches IPv4-mapped request IPs against IPv4 lists and rejects missing/unparsable IPs', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({ name: 'ip', ips: ['10.0.0.0/8', '2001:db8::/32'] });
    const code = async (ip: string | undefined) => {
      const result = await settle(keyward.verify(bearer(key, { ip })));
      return result.ok ? 'ok' : result.code;
    };
    expect(await code('::ffff:10.0.0.1')).toBe('ok');
    expect(await code('2001:db8::abcd')).toBe('ok');
    expect(await code('2001:db9::abcd')).toBe('ip_not_allowed');
    expect(await code(undefined)).toBe('ip_not_allowed');
    expect(await code('not an ip')).toBe('ip_not_allowed');
  });

  it('refuses bad entries at create and update with InvalidOptionsError naming them', async () => {
    const { keyward } = setup();
    for (const entry of ['10.0.0.1/8', '10.0.0.0/33', '0x7f.1', '010.0.0.1', 'fe80::1%eth0']) {
      await expect(keyward.create({ name: 'x', ips: [entry] })).rejects.toMatchObject({
        code: 'invalid_options',
        message: expect.stringContaining(entry),
      });
    }
    const { record } = await keyward.create({ name: 'x' });
    await expect(keyward.update(record.id, { ips: ['10.0.0.0/8', '/8'] })).rejects.toBeInstanceOf(
      InvalidOptionsError,
    );
  });

  it('removes the restriction with ips: null', async () => {
    const { keyward } = setup();
    const { key, record } = await keyward.create({ name: 'x', ips: ['192.0.2.1'] });
    expect((await settle(keyward.verify(bearer(key)))).ok).toBe(false);
    await keyward.update(record.id, { ips: null });
    expect((await settle(keyward.verify(bearer(key)))).ok).toBe(true);
  });
});
