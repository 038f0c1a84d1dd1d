import { KvKeyStore } from '@keyward/cloudflare';
import type { KeyRecord, KeyStore } from '@keyward/core';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  codeOf,
  endpoint,
  post,
  randomId,
  remoteKeyStore,
  startWorkers,
  testRecord,
} from './workerd.js';

let mf: Miniflare;
let store: KeyStore;
beforeAll(async () => {
  mf = await startWorkers();
  store = remoteKeyStore(endpoint(mf), 'kv');
});
afterAll(async () => {
  await mf?.dispose();
});

const record = testRecord;

const ids = (page: { items: KeyRecord[] }) => page.items.map((item) => item.id).sort();

describe('KvKeyStore', () => {
  it('keeps an owner whose id extends another owner id with ":" out of its listing', async () => {
    const owner = `acct_${randomId()}`;
    const mine = record({ ownerId: owner });
    const other = record({ ownerId: `${owner}:live` });
    await store.insertKey(mine);
    await store.insertKey(other);
    expect(ids(await store.listKeys({ ownerId: owner, limit: 100 }))).toStrictEqual([mine.id]);
    expect(
      ids(await store.listKeys({ ownerId: owner, environment: 'live', limit: 100 })),
    ).toStrictEqual([mine.id]);
    expect(ids(await store.listKeys({ ownerId: `${owner}:live`, limit: 100 }))).toStrictEqual([
      other.id,
    ]);
    // The index itself keeps them apart: the other owner's name is hashed, not spelled out.
    const kv = await mf.getKVNamespace('KEYS');
    const indexed = await kv.list({ prefix: `keyward:own-env:${owner}:` });
    expect(indexed.keys.map((key) => key.name)).toStrictEqual([
      `keyward:own-env:${owner}:live:${mine.id}`,
    ]);
  });

  it('lists an owner whose id is too long for a plain KV key name (600 UTF-8 bytes)', async () => {
    const owner = `${'€'.repeat(188)}${randomId()}`;
    const mine = record({ ownerId: owner, environment: 'test' });
    await store.insertKey(mine);
    const page = await store.listKeys({ ownerId: owner, environment: 'test', limit: 10 });
    expect(page.items).toStrictEqual([mine]);
  });

  it('moves index entries when an update changes owner and environment', async () => {
    const from = `from_${Date.now()}`;
    const to = `to_${Date.now()}`;
    const first = record({ ownerId: from, environment: 'live' });
    await store.insertKey(first);
    const moved = { ...first, ownerId: to, environment: 'test' as const, version: 2 };
    expect(await store.updateKey(moved, 1)).toBe(true);
    expect((await store.listKeys({ ownerId: from, limit: 10 })).items).toStrictEqual([]);
    expect((await store.listKeys({ ownerId: to, environment: 'test', limit: 10 })).items).toEqual([
      moved,
    ]);
    const kv = await mf.getKVNamespace('KEYS');
    const left = await kv.list({ prefix: `keyward:own:${from}:` });
    expect(left.keys).toStrictEqual([]);
    const leftEnv = await kv.list({ prefix: 'keyward:env:live:' });
    expect(leftEnv.keys.map((key) => key.name)).not.toContain(`keyward:env:live:${first.id}`);
  });

  it('pages a large listing 100 records at a time, without gaps or repeats', async () => {
    const owner = `many_${Date.now()}`;
    const records = Array.from({ length: 105 }, () => record({ ownerId: owner }));
    await Promise.all(records.map((each) => store.insertKey(each)));
    const inserted = records.map((each) => each.id);
    const first = await store.listKeys({ ownerId: owner, limit: 1000 });
    expect(first.items).toHaveLength(100);
    expect(first.cursor).toMatch(/^kv\./);
    const second = await store.listKeys({ ownerId: owner, limit: 1000, cursor: first.cursor });
    expect(second.cursor).toBeUndefined();
    const seen = [...ids(first), ...ids(second)];
    expect(seen.sort()).toStrictEqual(inserted.sort());
  });

  it('refuses a cursor it did not issue with invalid_options', async () => {
    for (const cursor of ['12', 'kv.', 'kv.has space', `kv.${'a'.repeat(3000)}`]) {
      expect(await codeOf(Promise.resolve(store.listKeys({ limit: 10, cursor })))).toBe(
        'invalid_options',
      );
    }
  });

  it('fails a read of a damaged or foreign record with store_unavailable', async () => {
    const kv = await mf.getKVNamespace('KEYS');
    const damaged = record();
    await kv.put(`keyward:rec:${damaged.id}`, '{"id":');
    expect(await codeOf(Promise.resolve(store.getKey(damaged.id)))).toBe('store_unavailable');
    const foreign = record();
    await kv.put(`keyward:rec:${foreign.id}`, JSON.stringify({ ...record(), id: 'someoneElse1' }));
    expect(await codeOf(Promise.resolve(store.getKey(foreign.id)))).toBe('store_unavailable');
    const answer = await mf.dispatchFetch('http://keyward.test/call', {
      method: 'POST',
      body: JSON.stringify({ store: 'kv', method: 'getKey', args: [foreign.id] }),
    });
    expect(await answer.text()).not.toContain('47DEQpj8HBSa');
  });

  it('keeps stores with different prefixes apart in one namespace', async () => {
    const kv = await mf.getKVNamespace('KEYS');
    const mine = record();
    await store.insertKey(mine);
    expect(await kv.get(`keyward:rec:${mine.id}`)).not.toBeNull();
    expect(await kv.get(`acme:rec:${mine.id}`)).toBeNull();
  });

  it('refuses a missing namespace or a bad prefix at construction with a TypeError', () => {
    expect(() => new KvKeyStore(undefined as never)).toThrow(TypeError);
    expect(() => new KvKeyStore({ namespace: {} as never })).toThrow(/namespace/);
    const namespace = { get() {}, put() {}, delete() {}, list() {} } as never;
    expect(() => new KvKeyStore({ namespace, prefix: 'a:b' })).toThrow(/prefix/);
    expect(() => new KvKeyStore({ namespace, prefix: '' })).toThrow(/prefix/);
    expect(() => new KvKeyStore({ namespace, prefix: 'acme' })).not.toThrow();
  });

  it('runs keyward on KV: create, verify, revoke', async () => {
    const worker = endpoint(mf);
    const { key, id } = (await post(worker, '/keyward/create', {
      store: 'kv',
      options: { name: 'edge', environment: 'live' },
    })) as { key: string; id: string };
    const ok = (await post(worker, '/keyward/verify', { store: 'kv', key })) as { ok: boolean };
    expect(ok.ok).toBe(true);
    await post(worker, '/keyward/revoke', { store: 'kv', id });
    const revoked = (await post(worker, '/keyward/verify', { store: 'kv', key })) as {
      code: string;
      status: number;
    };
    expect([revoked.code, revoked.status]).toStrictEqual(['revoked_key', 401]);
  });
});
