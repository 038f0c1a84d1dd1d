import { describeKeyStore, describeLimitStore } from '@keyward/core/testing';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll } from 'vitest';
import { endpoint, remoteKeyStore, remoteLimitStore, startWorkers } from './workerd.js';

// The stores run inside workerd (miniflare's KV and Durable Objects); Node only sends the calls.
let mf: Miniflare;
beforeAll(async () => {
  mf = await startWorkers();
});
afterAll(async () => {
  await mf?.dispose();
});

describeKeyStore('KvKeyStore in workerd', () => remoteKeyStore(endpoint(mf), 'kv'), {
  listFilters: 'refused',
});
describeKeyStore('DurableObjectKeyStore in workerd', () => remoteKeyStore(endpoint(mf), 'do'));
describeLimitStore('DurableObjectLimitStore in workerd', () => remoteLimitStore(endpoint(mf)), {
  ownClock: true,
});
