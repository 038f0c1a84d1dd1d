import { describe, expect, it } from 'vitest';
import {
  InvalidOptionsError,
  KeyNotFoundError,
  KeywardError,
  VersionConflictError,
} from './errors.js';
import { IssuedKey } from './lifecycle.js';
import { bearer, rejection, settle, setup } from './test-helpers.js';
import type { CreateKeyOptions, KeywardEvent } from './types.js';

async function codeOf(result: ReturnType<ReturnType<typeof setup>['keyward']['verify']>) {
  const settled = await settle(result);
  return settled.ok ? 'ok' : settled.code;
}

describe('create and update validation', () => {
  const bad: [string, Partial<CreateKeyOptions>, string][] = [
    ['host bits set', { ips: ['10.0.0.1/8'] }, '10.0.0.1/8'],
    ['/33', { ips: ['10.0.0.0/33'] }, '10.0.0.0/33'],
    ['hex IPv4', { ips: ['0x7f.1'] }, '0x7f.1'],
    ['leading-zero IPv4', { ips: ['010.0.0.1'] }, '010.0.0.1'],
    ['zone id', { ips: ['fe80::1%eth0'] }, 'fe80::1%eth0'],
    ['bad referrer', { referrers: ['https://*exa'] }, 'https://*exa'],
    ['bad scope', { scopes: ['invoices:read', 'not a scope'] }, 'not a scope'],
    ['capacity 0', { rateLimit: { capacity: 0, refillPerSecond: 1 } }, 'capacity'],
    ['refill -1', { rateLimit: { capacity: 1, refillPerSecond: -1 } }, 'refillPerSecond'],
    ['bad period', { quota: { limit: 1, period: 'year' as 'day' } }, 'period'],
    ['quota limit 0', { quota: { limit: 0, period: 'day' } }, 'limit'],
    ['past expiresAt', { expiresAt: Date.UTC(2020, 0, 1) }, 'expiresAt'],
    ['expiresAt now', { expiresAt: Date.UTC(2025, 0, 15, 12) }, 'expiresAt'],
    ['invalid Date', { expiresAt: new Date('nope') }, 'expiresAt'],
    ['metadata array', { metadata: [] as unknown as Record<string, unknown> }, 'metadata'],
  ];

  it.each(bad)(
    'create refuses %s with InvalidOptionsError naming it',
    async (_c, options, named) => {
      const { keyward, store } = setup();
      const error = await keyward.create({ name: 'x', ...options }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect((error as InvalidOptionsError).code).toBe('invalid_options');
      expect((error as Error).message).toContain(named);
      expect(store.size).toBe(0);
    },
  );

  it.each(bad)(
    'update refuses %s with InvalidOptionsError and changes nothing',
    async (_c, options, named) => {
      const { keyward } = setup();
      const { record } = await keyward.create({ name: 'x' });
      const error = await keyward.update(record.id, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect((error as Error).message).toContain(named);
      expect((await keyward.get(record.id))?.version).toBe(1);
    },
  );

  it('create refuses a missing name and an unknown environment', async () => {
    const { keyward } = setup();
    await expect(keyward.create({} as CreateKeyOptions)).rejects.toBeInstanceOf(
      InvalidOptionsError,
    );
    await expect(
      keyward.create({ name: 'x', environment: 'prod' as 'live' }),
    ).rejects.toBeInstanceOf(InvalidOptionsError);
  });

  it('create defaults the environment to the first configured one', async () => {
    const { keyward } = setup({ environments: ['test'] });
    const { key, record } = await keyward.create({ name: 'x' });
    expect(record.environment).toBe('test');
    expect(key).toContain('_test_');
  });
});

describe('control characters in names, owners and revoke reasons', () => {
  const controls: [string, string][] = [
    ['an ESC sequence (CSI clear screen)', 'ok\u001b[2Jhidden'],
    ['an OSC 52 clipboard write', '\u001b]52;c;ZXZpbA==\u0007name'],
    ['a newline', 'line one\nline two'],
    ['a tab', 'a\tb'],
    ['a NUL', 'a\u0000b'],
    ['DEL', 'a\u007fb'],
    ['a C1 CSI (U+009B)', 'a\u009b2Jb'],
    ['a C1 OSC (U+009D)', 'a\u009d52;c;x\u009cb'],
  ];

  it.each(controls)('create refuses %s in name, naming the field', async (_c, text) => {
    const { keyward, store } = setup();
    const error = await keyward.create({ name: text }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as InvalidOptionsError).code).toBe('invalid_options');
    expect((error as Error).message).toContain('name');
    expect((error as Error).message).not.toContain(text);
    expect(store.size).toBe(0);
  });

  it.each(controls)('create refuses %s in ownerId, naming the field', async (_c, text) => {
    const { keyward, store } = setup();
    const error = await keyward.create({ name: 'x', ownerId: text }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toContain('ownerId');
    expect(store.size).toBe(0);
  });

  it.each(controls)('update refuses %s in name and changes nothing', async (_c, text) => {
    const { keyward } = setup();
    const { record } = await keyward.create({ name: 'x' });
    const error = await keyward.update(record.id, { name: text }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toContain('name');
    expect(await keyward.get(record.id)).toMatchObject({ name: 'x', version: 1 });
  });

  it.each(controls)('revoke refuses %s in reason and leaves the key alone', async (_c, text) => {
    const { keyward } = setup();
    const { key, record } = await keyward.create({ name: 'x' });
    const error = await keyward.revoke(record.id, { reason: text }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toContain('reason');
    expect((await keyward.get(record.id))?.revokedAt).toBeUndefined();
    expect(await codeOf(keyward.verify(bearer(key)))).toBe('ok');
  });

  it('accepts printable text in any script, with spaces and symbols', async () => {
    const { keyward } = setup();
    const name = 'Zoë’s ключ 🔑 — billing\u00a0sync (ünïcödé) «x» \\ "q"';
    const { record } = await keyward.create({ name, ownerId: 'acct:42 / équipe' });
    expect(record.name).toBe(name);
    const revoked = await keyward.revoke(record.id, { reason: 'leaked → rotated ✓' });
    expect(revoked.revokedReason).toBe('leaked → rotated ✓');
  });
});

describe('expiry boundaries (fake clock)', () => {
  it('works at expiresAt - 1 ms and is expired at expiresAt', async () => {
    const { keyward, clock } = setup();
    const expiresAt = clock.now + 10_000;
    const { key, record } = await keyward.create({ name: 'e', expiresAt: new Date(expiresAt) });
    expect(record.expiresAt?.getTime()).toBe(expiresAt);
    clock.set(expiresAt - 1);
    expect(await codeOf(keyward.verify(bearer(key)))).toBe('ok');
    clock.set(expiresAt);
    expect(await codeOf(keyward.verify(bearer(key)))).toBe('expired_key');
  });

  it('update can extend or remove an expiry', async () => {
    const { keyward, clock } = setup();
    const { key, record } = await keyward.create({ name: 'e', expiresAt: clock.now + 1000 });
    await keyward.update(record.id, { expiresAt: clock.now + 5000 });
    clock.advance(2000);
    expect(await codeOf(keyward.verify(bearer(key)))).toBe('ok');
    await keyward.update(record.id, { expiresAt: null });
    clock.advance(10_000_000);
    expect(await codeOf(keyward.verify(bearer(key)))).toBe('ok');
  });
});

describe('rotation grace (fake clock)', () => {
  it('keeps the old secret until grace end - 1 ms, expires it at grace end; the new one works', async () => {
    const { keyward, clock } = setup();
    const old = await keyward.create({ name: 'r' });
    const rotatedAt = clock.now;
    const rotated = await keyward.rotate(old.record.id, { gracePeriodMs: 60_000 });
    expect(rotated.record.id).toBe(old.record.id);
    expect(rotated.key).not.toBe(old.key);
    expect(rotated.record.previousSecretExpiresAt?.getTime()).toBe(rotatedAt + 60_000);
    expect(await codeOf(keyward.verify(bearer(rotated.key)))).toBe('ok');
    clock.set(rotatedAt + 59_999);
    expect(await codeOf(keyward.verify(bearer(old.key)))).toBe('ok');
    clock.set(rotatedAt + 60_000);
    expect(await codeOf(keyward.verify(bearer(old.key)))).toBe('expired_key');
    expect(await codeOf(keyward.verify(bearer(rotated.key)))).toBe('ok');
  });

  it('rotating with grace 0 kills the old secret at once', async () => {
    const { keyward } = setup();
    const old = await keyward.create({ name: 'r' });
    const rotated = await keyward.rotate(old.record.id, { gracePeriodMs: 0 });
    const result = rejection(await settle(keyward.verify(bearer(old.key))));
    expect(['expired_key', 'invalid_key']).toContain(result.code);
    expect(rotated.record.previousSecretExpiresAt).toBeUndefined();
    expect(await codeOf(keyward.verify(bearer(rotated.key)))).toBe('ok');
  });

  it('keeps only the most recently replaced secret across two rotations', async () => {
    const { keyward } = setup();
    const first = await keyward.create({ name: 'r' });
    const second = await keyward.rotate(first.record.id, { gracePeriodMs: 60_000 });
    const third = await keyward.rotate(first.record.id, { gracePeriodMs: 60_000 });
    expect(await codeOf(keyward.verify(bearer(first.key)))).toBe('invalid_key');
    expect(await codeOf(keyward.verify(bearer(second.key)))).toBe('ok');
    expect(await codeOf(keyward.verify(bearer(third.key)))).toBe('ok');
  });

  it('revoking during a grace period kills both secrets', async () => {
    const { keyward } = setup();
    const old = await keyward.create({ name: 'r' });
    const rotated = await keyward.rotate(old.record.id, { gracePeriodMs: 60_000 });
    await keyward.revoke(old.record.id);
    expect(await codeOf(keyward.verify(bearer(rotated.key)))).toBe('revoked_key');
    expect(await codeOf(keyward.verify(bearer(old.key)))).not.toBe('ok');
  });

  it('refuses to rotate a revoked key and refuses a negative grace', async () => {
    const { keyward } = setup();
    const { record } = await keyward.create({ name: 'r' });
    await expect(keyward.rotate(record.id, { gracePeriodMs: -1 })).rejects.toBeInstanceOf(
      InvalidOptionsError,
    );
    await keyward.revoke(record.id);
    const error = await keyward.rotate(record.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeywardError);
    expect((error as KeywardError).code).toBe('key_revoked');
  });
});

describe('management API', () => {
  it('get returns KeyInfo without any hash, and undefined for unknown or malformed ids', async () => {
    const { keyward } = setup();
    const { record } = await keyward.create({
      name: 'g',
      ownerId: 'acct_1',
      scopes: ['invoices:read'],
      metadata: { plan: 'pro' },
    });
    const info = await keyward.get(record.id);
    expect(info).toMatchObject({ id: record.id, name: 'g', ownerId: 'acct_1', version: 1 });
    expect(info?.metadata).toEqual({ plan: 'pro' });
    expect(Object.isFrozen(info)).toBe(true);
    expect(Object.keys(info ?? {})).not.toContain('hash');
    expect(JSON.stringify(info)).not.toMatch(/sha256/);
    expect(await keyward.get('000000000000')).toBeUndefined();
    expect(await keyward.get('nope')).toBeUndefined();
  });

  it('update with a stale expectedVersion throws VersionConflictError; the right one succeeds', async () => {
    const { keyward } = setup();
    const { record } = await keyward.create({ name: 'v' });
    const updated = await keyward.update(record.id, { name: 'v2' }, { expectedVersion: 1 });
    expect(updated.version).toBe(2);
    const error = await keyward
      .update(record.id, { name: 'v3' }, { expectedVersion: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionConflictError);
    expect((error as VersionConflictError).code).toBe('version_conflict');
    expect((await keyward.get(record.id))?.name).toBe('v2');
  });

  it('operations on an unknown id throw KeyNotFoundError; a malformed id InvalidOptionsError', async () => {
    const { keyward } = setup();
    for (const op of [
      () => keyward.update('000000000000', { name: 'x' }),
      () => keyward.revoke('000000000000'),
      () => keyward.rotate('000000000000'),
    ]) {
      const error = await op().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeyNotFoundError);
      expect((error as KeyNotFoundError).code).toBe('key_not_found');
    }
    await expect(keyward.revoke('short')).rejects.toBeInstanceOf(InvalidOptionsError);
  });

  it('revoke records when and why, and is idempotent', async () => {
    const { keyward, clock } = setup();
    const { record } = await keyward.create({ name: 'r' });
    const revoked = await keyward.revoke(record.id, { reason: 'leaked' });
    expect(revoked.revokedAt?.getTime()).toBe(clock.now);
    expect(revoked.revokedReason).toBe('leaked');
    clock.advance(5000);
    const again = await keyward.revoke(record.id);
    expect(again.revokedAt?.getTime()).toBe(revoked.revokedAt?.getTime());
  });

  it('list pages through every key with cursors, filtered by owner and environment', async () => {
    const { keyward } = setup();
    const mine = new Set<string>();
    for (let i = 0; i < 7; i++) {
      const { record } = await keyward.create({
        name: `m${i}`,
        ownerId: 'acct_a',
        environment: i < 5 ? 'live' : 'test',
      });
      mine.add(record.id);
    }
    for (let i = 0; i < 3; i++) await keyward.create({ name: `o${i}`, ownerId: 'acct_b' });
    const seen: string[] = [];
    const sizes: number[] = [];
    let page = await keyward.list({ ownerId: 'acct_a', limit: 3 });
    for (let guard = 0; guard < 10; guard++) {
      sizes.push(page.items.length);
      seen.push(...page.items.map((k) => k.id));
      if (page.cursor === undefined) break;
      page = await keyward.list({ ownerId: 'acct_a', limit: 3, cursor: page.cursor });
    }
    expect(sizes).toEqual([3, 3, 1]);
    expect(new Set(seen)).toEqual(mine);
    expect(seen).toHaveLength(7);
    const test = await keyward.list({ ownerId: 'acct_a', environment: 'test' });
    expect(test.items.map((k) => k.environment)).toEqual(['test', 'test']);
    expect(test.cursor).toBeUndefined();
    expect((await keyward.list()).items).toHaveLength(10);
  });

  it('list refuses a bad limit or environment', async () => {
    const { keyward } = setup();
    for (const limit of [0, 1001, 1.5]) {
      await expect(keyward.list({ limit })).rejects.toBeInstanceOf(InvalidOptionsError);
    }
    await expect(keyward.list({ environment: 'prod' as 'live' })).rejects.toBeInstanceOf(
      InvalidOptionsError,
    );
  });

  it('list filters by status at keyward’s clock, and by search on id or name', async () => {
    const { keyward, clock } = setup();
    const make = (name: string, extra: Partial<CreateKeyOptions> = {}) =>
      keyward.create({ name, ownerId: 'acct_s', ...extra }).then(({ record }) => record.id);
    const active = await make('Billing export');
    const expiring = await make('billing sync', { expiresAt: clock.now + 60_000 });
    const disabled = await make('disabled one');
    await keyward.disable(disabled);
    const revoked = await make('revoked one');
    await keyward.revoke(revoked);
    const ids = async (options: Parameters<typeof keyward.list>[0]) =>
      (await keyward.list({ ownerId: 'acct_s', ...options })).items.map((k) => k.id).sort();
    expect(await ids({ status: 'active' })).toEqual([active, expiring].sort());
    clock.advance(60_000); // expiresAt ≤ now: expired by keyward's clock, not the wall clock
    expect(await ids({ status: 'active' })).toEqual([active]);
    expect(await ids({ status: 'expired' })).toEqual([expiring]);
    expect(await ids({ status: 'disabled' })).toEqual([disabled]);
    expect(await ids({ status: 'revoked' })).toEqual([revoked]);
    expect(await ids({ search: 'BILLING' })).toEqual([active, expiring].sort());
    expect(await ids({ search: revoked })).toEqual([revoked]);
    expect(await ids({ search: 'billing', status: 'expired' })).toEqual([expiring]);
    expect(await ids({ search: '' })).toHaveLength(4);
  });

  it.each([
    ['an unknown status', { status: 'deleted' as 'active' }, 'status'],
    ['a search over 100 characters', { search: 'x'.repeat(101) }, 'search'],
    ['a search with a control character', { search: 'ci\u001b[2J' }, 'search'],
    ['a search with a lone surrogate', { search: 'ci\ud800' }, 'search'],
    ['a search that is not a string', { search: 42 as unknown as string }, 'search'],
  ])('list refuses %s with InvalidOptionsError naming the field', async (_c, options, field) => {
    const { keyward } = setup();
    const error = await keyward.list(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as InvalidOptionsError).code).toBe('invalid_options');
    expect((error as Error).message).toContain(field);
  });

  it('list accepts a search of exactly 100 characters', async () => {
    const { keyward } = setup();
    await expect(keyward.list({ search: 'x'.repeat(100) })).resolves.toEqual({ items: [] });
  });

  it('create returns an IssuedKey whose key is readable but not enumerable', async () => {
    const { keyward } = setup();
    const issued = await keyward.create({ name: 'x' });
    expect(issued).toBeInstanceOf(IssuedKey);
    expect(typeof issued.key).toBe('string');
    expect(Object.keys(issued)).not.toContain('key');
    expect({ ...issued }).not.toHaveProperty('key');
    const { key } = issued;
    expect(key).toMatch(/^acme_live_/);
  });
});

describe('lifecycle events', () => {
  it('emits one event of the right type and fields per operation', async () => {
    const { keyward, events, clock } = setup();
    const { key, record } = await keyward.create({
      name: 'e',
      ownerId: 'acct_9',
      environment: 'test',
    });
    await keyward.update(record.id, { name: 'e2', scopes: ['a:b'], disabled: false });
    const rotated = await keyward.rotate(record.id, { gracePeriodMs: 1000 });
    await keyward.verify(bearer(rotated.key, { ip: '192.0.2.10' }));
    await keyward.revoke(record.id, { reason: 'done' });
    await keyward.verify(bearer(key, { ip: '192.0.2.11' }));
    const at = new Date(clock.now);
    expect(events).toEqual<KeywardEvent[]>([
      { type: 'key.created', at, keyId: record.id, environment: 'test', ownerId: 'acct_9' },
      { type: 'key.updated', at, keyId: record.id, fields: ['name', 'disabled', 'scopes'] },
      {
        type: 'key.rotated',
        at,
        keyId: record.id,
        previousSecretExpiresAt: new Date(clock.now + 1000),
      },
      { type: 'key.verified', at, keyId: record.id, environment: 'test', ip: '192.0.2.10' },
      { type: 'key.revoked', at, keyId: record.id, reason: 'done' },
      {
        type: 'key.rejected',
        at,
        code: 'invalid_key',
        status: 401,
        keyId: record.id,
        ip: '192.0.2.11',
      },
    ]);
  });

  it('emits key.rejected without keyId for a malformed key', async () => {
    const { keyward, events } = setup();
    await keyward.verify(bearer('junk', { ip: '192.0.2.12' }));
    expect(events).toEqual([
      expect.objectContaining({ type: 'key.rejected', code: 'malformed_key', keyId: undefined }),
    ]);
  });
});
