import { describe, expect, it } from 'vitest';
import { MemorySeenIdStore } from './memory-seen-id-store.js';

function clockAt(start: number) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

describe('MemorySeenIdStore', () => {
  it('accepts an id once, then refuses it until its TTL ends', () => {
    const clock = clockAt(1_000_000);
    const store = new MemorySeenIdStore({ clock: clock.read });
    expect(store.add('msg_1', 60_000)).toBe(true);
    expect(store.add('msg_1', 60_000)).toBe(false);
    expect(store.add('msg_2', 60_000)).toBe(true);
    clock.now += 59_999;
    expect(store.add('msg_1', 60_000)).toBe(false);
    clock.now += 1;
    expect(store.add('msg_1', 60_000)).toBe(true);
  });

  it('forgets a deleted id at once', () => {
    const store = new MemorySeenIdStore();
    expect(store.add('msg_1', 60_000)).toBe(true);
    store.delete('msg_1');
    expect(store.add('msg_1', 60_000)).toBe(true);
  });

  it('drops expired ids as new ones arrive', () => {
    const clock = clockAt(0);
    const store = new MemorySeenIdStore({ clock: clock.read });
    for (let i = 0; i < 100; i++) store.add(`old_${i}`, 1000);
    expect(store.size).toBe(100);
    clock.now += 1000;
    store.add('new', 1000);
    expect(store.size).toBe(1);
  });

  it('holds at most maxEntries ids, forgetting the oldest first', () => {
    const store = new MemorySeenIdStore({ maxEntries: 3 });
    for (const id of ['a', 'b', 'c', 'd']) expect(store.add(id, 60_000)).toBe(true);
    expect(store.size).toBe(3);
    expect(store.add('d', 60_000)).toBe(false);
    expect(store.add('b', 60_000)).toBe(false);
    expect(store.add('a', 60_000)).toBe(true); // the oldest was forgotten
  });

  it('stays bounded under 100,000 distinct ids', () => {
    const store = new MemorySeenIdStore({ maxEntries: 1000 });
    for (let i = 0; i < 100_000; i++) store.add(`msg_${i}`, 600_000);
    expect(store.size).toBe(1000);
  });

  it.each([
    ['maxEntries 0', { maxEntries: 0 }],
    ['a fractional maxEntries', { maxEntries: 1.5 }],
    ['a clock that is not a function', { clock: 5 }],
  ])('throws a TypeError for %s', (_name, options) => {
    expect(() => new MemorySeenIdStore(options as never)).toThrow(TypeError);
  });
});
