import { describe, expect, it } from 'vitest';
import { NetworkMemory, networkOf } from './network.js';

/**
 * What NetworkMemory must answer, written the plain way: every address parsed, every sighting
 * stored at once, the same forgetting rule.
 */
class PlainNetworks {
  readonly seen = new Map<string, number>();
  current: string | undefined;

  see(ip: string, now: number, memoryMs: number, max: number, learnUntil: number) {
    const network = networkOf(ip);
    if (network === undefined) return undefined;
    if (network === this.current) {
      this.seen.set(network, now);
      return undefined;
    }
    const last = this.seen.get(network);
    const isNew =
      now >= learnUntil && this.seen.size > 0 && (last === undefined || now - last > memoryMs);
    this.seen.set(network, now);
    this.current = network;
    if (this.seen.size > max) {
      for (const [name, at] of this.seen) if (now - at > memoryMs) this.seen.delete(name);
      while (this.seen.size > max) {
        let oldest: string | undefined;
        let oldestAt = Number.POSITIVE_INFINITY;
        for (const [name, at] of this.seen) {
          if (name !== this.current && at < oldestAt) {
            oldest = name;
            oldestAt = at;
          }
        }
        if (oldest === undefined) break;
        this.seen.delete(oldest);
      }
    }
    return isNew ? network : undefined;
  }
}

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ADDRESSES = [
  '10.20.30.40',
  '10.20.30.41',
  '10.20.30.7',
  '10.99.0.7',
  '10.99.0.8',
  '10.99.0.255',
  '192.168.1.1',
  '192.168.1.10',
  '192.168.2.1',
  '::ffff:10.99.0.9',
  '::FFFF:192.168.1.77',
  '2001:db8:1::1',
  '2001:db8:1::2',
  '2001:DB8:2::1',
  'fe80::1%eth0',
  '10.20.30.4000',
  '10.20.30.',
  '10.20.30.4a',
  'not an address',
  '',
  // Not addresses either, whatever the tracker's placeholders look like.
  '\u00001',
  '\u0000123',
  '1',
];

describe('NetworkMemory', () => {
  it('answers as parsing every address would, on random walks over hosts and networks', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = random(seed);
      const memory = new NetworkMemory();
      const plain = new PlainNetworks();
      const max = 1 + Math.floor(next() * 4);
      const memoryMs = 1_000 + Math.floor(next() * 5_000);
      const learnUntil = Math.floor(next() * 3_000);
      let now = 0;
      for (let step = 0; step < 400; step++) {
        now += Math.floor(next() * 400);
        // Mostly a few addresses taking turns, sometimes any of them.
        const pick = next() < 0.7 ? Math.floor(next() * 5) : Math.floor(next() * ADDRESSES.length);
        const ip = ADDRESSES[pick]!;
        const context = `seed ${seed}, step ${step}, ${ip}`;
        expect(memory.see(ip, now, memoryMs, max, learnUntil), context).toBe(
          plain.see(ip, now, memoryMs, max, learnUntil),
        );
        expect(memory.size, context).toBe(plain.seen.size);
      }
    }
  });

  it('reports a network again after its memory when the key moves back to it', () => {
    const memory = new NetworkMemory();
    expect(memory.see('10.0.0.1', 0, 1_000, 16, 0)).toBeUndefined();
    expect(memory.see('10.0.1.1', 10, 1_000, 16, 0)).toBe('10.0.1.0/24');
    expect(memory.see('10.0.0.2', 20, 1_000, 16, 0)).toBeUndefined();
    expect(memory.see('10.0.1.2', 2_000, 1_000, 16, 0)).toBe('10.0.1.0/24');
    expect(memory.see('10.0.0.3', 2_500, 1_000, 16, 0)).toBe('10.0.0.0/24');
  });
});
