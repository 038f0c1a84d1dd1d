import { describe, expect, it } from 'vitest';
import { defaultChannel, listenStatement } from './channel-name.js';

describe('defaultChannel', () => {
  it('is keyward:<table>, schema included, and the same for every process', () => {
    expect(defaultChannel()).toBe('keyward:keyward_keys');
    expect(defaultChannel('auth.api_keys')).toBe('keyward:auth.api_keys');
  });

  it('hashes a table name too long for a 63-byte channel, keeping different tables apart', () => {
    const long = `${'s'.repeat(48)}.${'t'.repeat(48)}`;
    const other = `${'s'.repeat(48)}.${'t'.repeat(47)}u`;
    expect(defaultChannel(long)).toMatch(/^keyward:[0-9a-f]{40}$/);
    expect(defaultChannel(long)).toBe(defaultChannel(long));
    expect(defaultChannel(long)).not.toBe(defaultChannel(other));
  });

  it('refuses an invalid table name', () => {
    expect(() => defaultChannel('Keys; drop')).toThrow(TypeError);
  });
});

describe('listenStatement', () => {
  it('quotes the channel as an identifier, doubling quotes', () => {
    expect(listenStatement('keyward:keyward_keys').sql).toBe('LISTEN "keyward:keyward_keys"');
    expect(listenStatement('a"; DROP TABLE x; --').sql).toBe('LISTEN "a""; DROP TABLE x; --"');
  });

  it.each([
    ['empty', ''],
    ['64 bytes', 'c'.repeat(64)],
    ['32 two-byte characters', 'é'.repeat(32)],
    ['a NUL', 'a\u0000b'],
    ['a lone surrogate', 'a\ud800b'],
    ['not a string', 42],
  ])('refuses %s with a TypeError naming the option', (_case, channel) => {
    expect(() => listenStatement(channel)).toThrow(/invalidation\.channel/);
  });

  it('takes 63 bytes', () => {
    expect(listenStatement('c'.repeat(63)).channel).toBe('c'.repeat(63));
  });
});
