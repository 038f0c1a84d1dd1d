import { describe, expect, it } from 'vitest';
import { createKeyward } from './keyward.js';
import { MemoryStore } from './stores/memory-store.js';
import type { KeyRecord } from './stores/types.js';
import { bearer, settle } from './test-helpers.js';

describe('KeyInfo handed to requests', () => {
  it('is deeply frozen, so one handler cannot change what the next request sees', async () => {
    const keyward = createKeyward({ prefix: 'acme' });
    const { key } = await keyward.create({ name: 'x', metadata: { team: { name: 'billing' } } });
    const first = await settle(keyward.verify(bearer(key)));
    if (!first.ok) throw new Error(first.code);
    const team = first.key.metadata?.team as { name: string };
    expect(() => {
      team.name = 'changed';
    }).toThrow(TypeError);
    const second = await settle(keyward.verify(bearer(key)));
    if (!second.ok) throw new Error(second.code);
    expect(second.key.metadata).toStrictEqual({ team: { name: 'billing' } });
  });

  it('treats a stored record without a scopes array as holding no scopes (never throws)', async () => {
    const store = new MemoryStore();
    const keyward = createKeyward({ prefix: 'acme', store });
    const { key, record } = await keyward.create({ name: 'x', scopes: ['a:b'] });
    const stored = store.getKey(record.id) as KeyRecord;
    store.updateKey({ ...stored, scopes: null as never, version: 2 }, 1);
    keyward.clearCache();
    const result = await settle(keyward.verify(bearer(key), { scopes: ['a:b'] }));
    expect(result).toMatchObject({ ok: false, code: 'insufficient_scope' });
    expect((await settle(keyward.verify(bearer(key)))).ok).toBe(true);
  });
});
