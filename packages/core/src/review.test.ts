import { describe, expect, it } from 'vitest';
import { createKeyward } from './keyward.js';
import type { ReviewFinding } from './review.js';
import { MemoryStore } from './stores/memory-store.js';
import type { KeyRecord } from './stores/types.js';
import { fakeClock, PREFIX } from './test-helpers.js';

const DAY = 86_400_000;

/** A MemoryStore (a usage store) that counts its lastUsed calls and takes last uses by hand. */
class UsageAwareStore extends MemoryStore {
  calls: number[] = [];
  override lastUsed(ids: readonly string[]): ReadonlyMap<string, number> {
    this.calls.push(ids.length);
    return super.lastUsed(ids);
  }
  /** A last use, written as a usage flush writes it. */
  markUsed(id: string, at: number): void {
    this.recordUsage([], new Map([[id, at]]));
  }
}

function setup<S extends MemoryStore = UsageAwareStore>(
  store: S = new UsageAwareStore() as unknown as S,
  options: { usage?: false } = {},
) {
  const clock = fakeClock();
  const keyward = createKeyward({ prefix: PREFIX, store, clock, ...options });
  return { keyward, clock, store };
}

const kinds = (findings: ReviewFinding[], keyId: string) =>
  findings.filter((f) => f.keyId === keyId).map((f) => f.kind);

describe('access review', () => {
  it('finds every kind, on the keys that have it', async () => {
    const { keyward, clock, store } = setup();
    const far = clock.now + 400 * DAY;
    const tidy = await keyward.create({
      name: 'tidy',
      environment: 'live',
      ips: ['10.0.0.0/8'],
      scopes: ['invoices:read'],
      expiresAt: far,
    });
    const open = await keyward.create({
      name: 'open',
      environment: 'live',
      ownerId: 'acct_9',
      scopes: ['invoices:*', 'admin:read'],
    });
    const idle = await keyward.create({ name: 'idle', environment: 'test', expiresAt: far });
    const unused = await keyward.create({ name: 'stale', environment: 'test', expiresAt: far });
    const everything = await keyward.create({
      name: 'root',
      environment: 'test',
      scopes: ['*'],
      expiresAt: far,
    });
    clock.advance(100 * DAY);
    await keyward.rotate(tidy.record.id);
    const now = clock.now;
    for (const { record } of [tidy, open, everything]) store.markUsed(record.id, now - DAY);
    store.markUsed(unused.record.id, now - 95 * DAY);
    const findings = await keyward.review();
    expect(kinds(findings, tidy.record.id)).toStrictEqual([]);
    expect(kinds(findings, open.record.id)).toStrictEqual([
      'rotation_overdue',
      'no_expiry',
      'wildcard_scope',
      'unrestricted',
    ]);
    expect(findings.find((f) => f.keyId === open.record.id)).toMatchObject({
      name: 'open',
      ownerId: 'acct_9',
    });
    const wildcard = findings.find(
      (f) => f.kind === 'wildcard_scope' && f.keyId === open.record.id,
    );
    expect(wildcard?.detail).toBe('grants invoices:*');
    expect(kinds(findings, idle.record.id)).toStrictEqual(['never_used', 'rotation_overdue']);
    expect(kinds(findings, unused.record.id)).toStrictEqual(['unused', 'rotation_overdue']);
    expect(kinds(findings, everything.record.id)).toStrictEqual([
      'rotation_overdue',
      'wildcard_scope',
    ]);
  });

  it('applies the policy’s days and its now', async () => {
    const { keyward, clock, store } = setup();
    const { record } = await keyward.create({
      name: 'k',
      environment: 'test',
      expiresAt: clock.now + 900 * DAY,
    });
    store.markUsed(record.id, clock.now);
    clock.advance(40 * DAY);
    expect(await keyward.review()).toStrictEqual([]);
    expect(
      kinds(await keyward.review({ unusedDays: 30, rotateEveryDays: 30 }), record.id),
    ).toStrictEqual(['unused', 'rotation_overdue']);
    expect(
      await keyward.review({ unusedDays: 30, now: new Date(clock.now - 20 * DAY) }),
    ).toStrictEqual([]);
  });

  it('says usage is unknown rather than never used when no usage store answers', async () => {
    const { keyward, clock } = setup(new MemoryStore(), { usage: false });
    const { record } = await keyward.create({
      name: 'k',
      environment: 'test',
      expiresAt: clock.now + 900 * DAY,
    });
    expect(await keyward.review()).toStrictEqual([]);
    clock.advance(91 * DAY);
    const findings = (await keyward.review()).filter((f) => f.kind !== 'rotation_overdue');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ keyId: record.id, kind: 'unused' });
    expect(findings[0]!.detail).toMatch(/usage unknown/);
  });

  it('reads the last uses keyward records: flushed to the usage store, and still pending', async () => {
    const { keyward, clock } = setup(new MemoryStore());
    const expiresAt = clock.now + 900 * DAY;
    const flushed = await keyward.create({ name: 'f', environment: 'test', expiresAt });
    const pending = await keyward.create({ name: 'p', environment: 'test', expiresAt });
    const idle = await keyward.create({ name: 'i', environment: 'test', expiresAt });
    const headers = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
    expect(keyward.verify(headers(flushed.key))).toMatchObject({ ok: true });
    await keyward.flush();
    clock.advance(95 * DAY);
    expect(keyward.verify(headers(pending.key))).toMatchObject({ ok: true });
    const findings = (await keyward.review()).filter((f) => f.kind !== 'rotation_overdue');
    expect(findings.map((f) => [f.keyId, f.kind])).toStrictEqual(
      [
        [flushed.record.id, 'unused'],
        [idle.record.id, 'never_used'],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    await keyward.close();
  });

  it('skips revoked and expired keys, disabled or not', async () => {
    const { keyward, clock } = setup();
    const revoked = await keyward.create({ name: 'r', environment: 'live', scopes: ['*'] });
    await keyward.create({ name: 'e', environment: 'live', expiresAt: clock.now + DAY });
    const both = await keyward.create({
      name: 'd',
      environment: 'live',
      scopes: ['*'],
      expiresAt: clock.now + DAY,
    });
    await keyward.update(both.record.id, { disabled: true });
    await keyward.revoke(revoked.record.id);
    clock.advance(200 * DAY);
    expect(await keyward.review()).toStrictEqual([]);
  });

  it('finds what only hand-edited data can hold: a publishable key without origins', async () => {
    const { keyward, store, clock } = setup();
    const base: KeyRecord = {
      id: 'pubkey000001',
      environment: 'live',
      name: 'widget',
      hash: 'sha256:x',
      scopes: [],
      disabled: false,
      createdAt: clock.now,
      updatedAt: clock.now,
      expiresAt: clock.now + DAY,
      version: 1,
    };
    store.insertKey({ ...base, type: 'publishable' } as KeyRecord);
    store.insertKey({
      ...base,
      id: 'pubkey000002',
      type: 'publishable',
      referrers: ['https://a.example/*'],
    } as KeyRecord);
    store.insertKey({ ...base, id: 'routed000001', routes: ['GET /invoices'] } as KeyRecord);
    store.markUsed('pubkey000001', clock.now);
    const findings = await keyward.review();
    expect(findings.map((f) => [f.keyId, f.kind])).toStrictEqual([
      ['pubkey000001', 'publishable_without_origin'],
    ]);
  });

  it('reads every page, with one lastUsed call per page', async () => {
    const { keyward, store, clock } = setup();
    for (let i = 0; i < 1005; i++) {
      store.insertKey({
        id: `k${String(i).padStart(11, '0')}`,
        environment: 'test',
        name: `k${i}`,
        hash: 'sha256:x',
        scopes: [],
        disabled: false,
        createdAt: clock.now - 100 * DAY,
        updatedAt: clock.now,
        expiresAt: clock.now + DAY,
        version: 1,
      });
    }
    const findings = await keyward.review();
    expect(findings.filter((f) => f.kind === 'never_used')).toHaveLength(1005);
    expect(store.calls).toStrictEqual([1000, 5]);
  });

  it.each([
    [{ unusedDays: 0 }],
    [{ unusedDays: -1 }],
    [{ rotateEveryDays: Number.NaN }],
    [{ rotateEveryDays: '90' }],
    [{ now: 'today' }],
  ])('refuses the policy %j with invalid_options', async (policy) => {
    const { keyward } = setup();
    const error = await keyward.review(policy as never).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('invalid_options');
  });
});
