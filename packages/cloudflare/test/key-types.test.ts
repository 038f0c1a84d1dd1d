import type { KeyListQuery, KeyRecord, KeyStore } from '@keyward/core';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoint, randomId, remoteKeyStore, startWorkers, testRecord } from './workerd.js';

let mf: Miniflare;
beforeAll(async () => {
  mf = await startWorkers();
});
afterAll(async () => {
  await mf?.dispose();
});

/** Every id a listing returns, following cursors (pages of KV may be short). */
async function listAll(store: KeyStore, query: Omit<KeyListQuery, 'limit'>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listKeys({ ...query, limit: 2, cursor });
    ids.push(...page.items.map((item) => item.id));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return ids.sort();
}

describe.each(['kv', 'do'] as const)('%s key store — key types', (kind) => {
  it('keeps type, routes and any environment, and lists by type', async () => {
    const store = remoteKeyStore(endpoint(mf), kind);
    const ownerId = `acct_${randomId()}`;
    const secret: KeyRecord[] = [
      testRecord({ ownerId, environment: 'live' }),
      testRecord({ ownerId, environment: 'staging', type: 'secret' }),
      testRecord({ ownerId, environment: 'live' }),
    ];
    const publishable: KeyRecord[] = [
      testRecord({ ownerId, environment: 'live', type: 'publishable', routes: ['GET /a/*'] }),
      testRecord({ ownerId, environment: 'staging', type: 'publishable', routes: [] }),
    ];
    for (const record of [...secret, ...publishable]) await store.insertKey(record);
    expect(await store.getKey(publishable[0]!.id)).toStrictEqual(publishable[0]);
    expect(await store.getKey(secret[1]!.id)).toStrictEqual(secret[1]);
    const sorted = (records: KeyRecord[]) => records.map((r) => r.id).sort();
    expect(await listAll(store, { ownerId, type: 'secret' })).toStrictEqual(sorted(secret));
    expect(await listAll(store, { ownerId, type: 'publishable' })).toStrictEqual(
      sorted(publishable),
    );
    expect(
      await listAll(store, { ownerId, environment: 'staging', type: 'publishable' }),
    ).toStrictEqual([publishable[1]!.id]);
    expect(await listAll(store, { ownerId, environment: 'staging' })).toStrictEqual(
      sorted([secret[1]!, publishable[1]!]),
    );
    expect(await listAll(store, { ownerId })).toHaveLength(5);
    // An update keeps the record's type in every listing.
    const next = { ...publishable[0]!, routes: ['GET /b'], version: 2 };
    expect(await store.updateKey(next, 1)).toBe(true);
    expect(await store.getKey(next.id)).toStrictEqual(next);
    expect(await listAll(store, { ownerId, type: 'publishable' })).toStrictEqual(
      sorted(publishable),
    );
  });
});
