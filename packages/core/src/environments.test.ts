import { describe, expect, it } from 'vitest';
import { scanForKeys } from './key/scan.js';
import { createKeyward } from './keyward.js';
import { bearer, RecordingStore, wrongChecksum } from './test-helpers.js';
import type { VerifyResult } from './types.js';

const outcome = (result: VerifyResult | Promise<VerifyResult>) => {
  if (result instanceof Promise) throw new Error('expected a synchronous verify');
  return result.ok ? 'ok' : `${result.status} ${result.code}`;
};

describe('deployment-named environments', () => {
  it('issues and verifies acme_staging_… keys; refuses other environments before any store read', async () => {
    const store = new RecordingStore();
    const keyward = createKeyward({
      prefix: 'acme',
      store,
      environments: ['staging', 'dev', 'e2e1'],
    });
    const staging = await keyward.create({ name: 'default env' });
    expect(staging.key).toMatch(/^acme_staging_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}$/);
    expect(staging.record.environment).toBe('staging');
    const dev = await keyward.create({ name: 'dev', environment: 'dev' });
    const e2e = await keyward.create({ name: 'e2e', environment: 'e2e1' });
    expect(outcome(keyward.verify(bearer(staging.key)))).toBe('ok');
    expect(outcome(keyward.verify(bearer(dev.key)))).toBe('ok');
    expect(outcome(keyward.verify(bearer(e2e.key)))).toBe('ok');
    // A store shared with a live deployment: it creates keys this one does not accept.
    const live = createKeyward({ prefix: 'acme', store, environments: ['live'] });
    const liveKey = await live.create({ name: 'live' });
    const prod = await keyward.create({ name: 'prod', environment: 'prod' });
    const reads = store.reads;
    expect(outcome(keyward.verify(bearer(liveKey.key)))).toBe('401 wrong_environment');
    expect(outcome(keyward.verify(bearer(prod.key)))).toBe('401 wrong_environment');
    expect(outcome(live.verify(bearer(staging.key)))).toBe('401 wrong_environment');
    expect(store.reads).toBe(reads);
    expect((await keyward.list({ environment: 'dev' })).items.map((k) => k.id)).toEqual([
      dev.record.id,
    ]);
  });

  it('keeps live and test as the default, and keys issued before keep verifying', async () => {
    const store = new RecordingStore();
    const keyward = createKeyward({ prefix: 'acme', store });
    expect(keyward.environments).toEqual(['live', 'test']);
    const live = await keyward.create({ name: 'live' });
    const test = await keyward.create({ name: 'test', environment: 'test' });
    // A record as the previous version wrote it: no type field at all.
    const stored = store.getKey(live.record.id)!;
    const { type: _type, ...old } = stored;
    store.updateKey({ ...old, version: stored.version + 1 }, stored.version);
    keyward.clearCache();
    expect(outcome(keyward.verify(bearer(live.key)))).toBe('ok');
    expect(outcome(keyward.verify(bearer(test.key)))).toBe('ok');
    expect((await keyward.get(live.record.id))?.type).toBe('secret');
  });

  it('the scanner finds keys of any environment, secret or publishable', async () => {
    const keyward = createKeyward({ prefix: 'acme', environments: ['live', 'staging'] });
    const staging = await keyward.create({ name: 's', environment: 'staging' });
    const qa = await keyward.create({ name: 'q', environment: 'qa' });
    const pk = await keyward.create({
      name: 'p',
      type: 'publishable',
      environment: 'staging',
      referrers: ['https://a.example.com/*'],
    });
    const text = `const a = "${staging.key}";\nb=${qa.key} c=${pk.key}\n${wrongChecksum(staging.key)}`;
    const found = scanForKeys(text);
    expect(found.map((f) => [f.environment, f.type, f.id])).toEqual([
      ['staging', 'secret', staging.record.id],
      ['qa', 'secret', qa.record.id],
      ['staging', 'publishable', pk.record.id],
    ]);
    expect(found[2]?.redacted).toBe(`acme_pk_staging_${pk.record.id}_…`);
    expect(found.map((f) => f.line)).toEqual([1, 2, 2]);
  });
});
