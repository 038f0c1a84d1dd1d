import { describe, expect, it } from 'vitest';
import { clientBucket, FailedAttempts } from './failed-attempts.js';

describe('clientBucket', () => {
  it('counts an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(clientBucket('::ffff:192.0.2.7')).toBe(clientBucket('192.0.2.7'));
    expect(clientBucket('::FFFF:192.0.2.7')).toBe('192.0.2.7');
  });

  it('groups IPv6 addresses by their /64', () => {
    expect(clientBucket('2001:db8:1:2::9')).toBe(clientBucket('2001:0db8:0001:0002:ffff::1'));
    expect(clientBucket('2001:db8:1:2::9')).not.toBe(clientBucket('2001:db8:1:3::9'));
  });
});

describe('FailedAttempts', () => {
  it('throttles a client that hops addresses inside one /64', () => {
    const failures = new FailedAttempts({ capacity: 3, refillPerSecond: 1 });
    const now = 1_000_000;
    failures.record('2001:db8:1:2::1', now);
    failures.record('2001:db8:1:2::2', now);
    expect(failures.record('2001:db8:1:2::3', now)).toBe(true);
    expect(failures.blockedFor('2001:db8:1:2::4', now)).toBeGreaterThan(0);
    expect(failures.blockedFor('2001:db8:1:3::1', now)).toBe(0);
    expect(failures.blockedFor('2001:db8:1:2::4', now + 1000)).toBe(0);
  });
});
