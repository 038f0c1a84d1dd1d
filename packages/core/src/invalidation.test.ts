import { describe, expect, it } from 'vitest';
import { createKeyward } from './keyward.js';
import { MemoryStore } from './stores/memory-store.js';
import type { InvalidationChannel, KeyRecord } from './stores/types.js';

/** An in-process channel, so two keyward instances sharing one store can tell each other. */
class LocalChannel implements InvalidationChannel {
  readonly listeners = new Set<(keyId: string | undefined) => void>();
  publishInvalidation(keyId: string): void {
    for (const listener of this.listeners) listener(keyId);
  }
  subscribeInvalidations(listener: (keyId: string | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` }, ip: '192.0.2.1' });

async function twoInstances() {
  const store = new MemoryStore();
  const channel = new LocalChannel();
  const a = createKeyward({ prefix: 'acme', store, invalidation: channel });
  const b = createKeyward({ prefix: 'acme', store, invalidation: channel });
  const { key, record } = await a.create({ name: 'shared', scopes: [] });
  expect(b.verify(bearer(key))).toMatchObject({ ok: true }); // now cached in b
  return { store, channel, a, b, key, id: record.id };
}

describe('invalidation channel', () => {
  it('drops the other instance’s cached record when a key is revoked', async () => {
    const { a, b, key, id } = await twoInstances();
    await a.revoke(id);
    expect(b.verify(bearer(key))).toMatchObject({ ok: false, code: 'revoked_key' });
  });

  it('drops every cached record when told messages may have been missed', async () => {
    const { store, channel, b, key, id } = await twoInstances();
    // A change this instance never heard about (as if published while disconnected).
    const stored = store.getKey(id) as KeyRecord;
    store.updateKey({ ...stored, disabled: true, version: stored.version + 1 }, stored.version);
    expect(b.verify(bearer(key))).toMatchObject({ ok: true }); // still the cached copy
    for (const listener of channel.listeners) listener(undefined);
    expect(b.verify(bearer(key))).toMatchObject({ ok: false, code: 'disabled_key' });
  });

  it('stops listening after close()', async () => {
    const { channel, b } = await twoInstances();
    const before = channel.listeners.size;
    b.close();
    expect(channel.listeners.size).toBe(before - 1);
  });
});
