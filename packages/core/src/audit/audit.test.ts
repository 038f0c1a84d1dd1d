import { describe, expect, it } from 'vitest';
import { createKeyward } from '../keyward.js';
import { MemoryStore } from '../stores/memory-store.js';
import type { KeyRecord } from '../stores/types.js';
import { fakeClock, PREFIX, setup } from '../test-helpers.js';
import { sealAuditRecord } from './seal.js';
import type { AuditDraft, AuditQuery, AuditRecord, AuditStore } from './types.js';

const alice = { type: 'user', id: 'alice@example.com' } as const;

/** An audit store the test can tamper with, as an attacker with database access could. */
class TamperableAuditStore implements AuditStore {
  rows: AuditRecord[] = [];
  failNext = false;

  appendAudit(draft: AuditDraft): AuditRecord {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('audit database down');
    }
    const record = sealAuditRecord(draft, this.rows[this.rows.length - 1]);
    this.rows.push(record);
    return structuredClone(record);
  }

  listAudit(query: AuditQuery): AuditRecord[] {
    return this.rows
      .filter((r) => r.seq > (query.afterSeq ?? 0))
      .filter((r) => query.keyId === undefined || r.keyId === query.keyId)
      .filter((r) => query.since === undefined || r.at >= query.since)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, query.limit)
      .map((r) => structuredClone(r));
  }
}

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'resolved',
    (error: { code?: unknown }) => error.code,
  );
}

describe('audit trail through the management API', () => {
  it('records every management call with its type, actor, reason and changes', async () => {
    const { keyward, clock } = setup();
    const { record } = await keyward.create({
      name: 'billing',
      scopes: ['invoices:read'],
      actor: alice,
      reason: 'new integration',
    });
    clock.advance(1000);
    await keyward.update(
      record.id,
      { scopes: ['invoices:*'], ips: ['10.0.0.0/8'] },
      { actor: { type: 'service', id: 'provisioner' } },
    );
    await keyward.disable(record.id, { actor: alice, reason: 'abuse report' });
    await keyward.enable(record.id, { actor: alice });
    await keyward.rotate(record.id, { gracePeriodMs: 60_000, reason: 'yearly' });
    await keyward.revoke(record.id, { actor: { type: 'cli', id: 'root' }, reason: 'leaked' });
    const { items } = await keyward.audit({ keyId: record.id });
    expect(items.map((e) => e.type)).toStrictEqual([
      'key.created',
      'key.updated',
      'key.disabled',
      'key.enabled',
      'key.rotated',
      'key.revoked',
    ]);
    expect(items.map((e) => e.seq)).toStrictEqual([1, 2, 3, 4, 5, 6]);
    const [created, updated, disabled, enabled, rotated, revoked] = items;
    expect(created).toMatchObject({ actor: alice, reason: 'new integration', keyId: record.id });
    expect(created!.changes).toMatchObject({
      name: { from: null, to: 'billing' },
      scopes: { from: null, to: ['invoices:read'] },
    });
    expect(created!.at).toStrictEqual(new Date(Date.UTC(2025, 0, 15, 12)));
    expect(updated!.actor).toStrictEqual({ type: 'service', id: 'provisioner' });
    expect(updated!.changes).toStrictEqual({
      scopes: { from: ['invoices:read'], to: ['invoices:*'] },
      ips: { from: null, to: ['10.0.0.0/8'] },
    });
    expect(disabled!.changes).toStrictEqual({ disabled: { from: false, to: true } });
    expect(disabled!.reason).toBe('abuse report');
    expect(enabled!.changes).toStrictEqual({ disabled: { from: true, to: false } });
    expect(Object.keys(rotated!.changes ?? {}).sort()).toStrictEqual([
      'previousSecretExpiresAt',
      'rotatedAt',
    ]);
    expect(revoked).toMatchObject({ actor: { type: 'cli', id: 'root' }, reason: 'leaked' });
    expect(revoked!.changes).toMatchObject({ revokedReason: { from: null, to: 'leaked' } });
    expect(Object.isFrozen(revoked)).toBe(true);
    expect(await keyward.verifyAudit()).toStrictEqual({
      ok: true,
      entries: 6,
      head: { seq: 6, hash: revoked!.hash },
    });
  });

  it('never puts a secret or a hash in changes, even across a rotation with a grace period', async () => {
    const { keyward, store } = setup({ pepper: 'a-pepper-of-sixteen-chars' });
    const issued = await keyward.create({ name: 'x' });
    const rotated = await keyward.rotate(issued.record.id, { gracePeriodMs: 3_600_000 });
    await keyward.rotate(issued.record.id);
    await keyward.revoke(issued.record.id);
    const text = JSON.stringify(await keyward.audit());
    expect(store.hashes.size).toBe(3);
    for (const hash of store.hashes) {
      expect(text).not.toContain(hash);
      expect(text).not.toContain(hash.split(':').at(-1));
    }
    for (const key of [issued.key, rotated.key]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(key.slice(-49, -6));
    }
    expect(text).not.toMatch(/sha256:|hmac-sha256:|"previousHash"|"hash":\{/);
  });

  it('appends nothing when a write does not happen', async () => {
    const { keyward } = setup();
    const { record } = await keyward.create({ name: 'x' });
    expect(await codeOf(keyward.update(record.id, { name: 'y' }, { expectedVersion: 7 }))).toBe(
      'version_conflict',
    );
    expect(await codeOf(keyward.update(record.id, { ips: ['10.0.0.1/8'] }))).toBe(
      'invalid_options',
    );
    expect(await codeOf(keyward.revoke('000000000000'))).toBe('key_not_found');
    expect((await keyward.audit()).items.map((e) => e.type)).toStrictEqual(['key.created']);
  });

  it.each([
    ['an unknown actor type', { actor: { type: 'robot', id: 'x' } }],
    ['an actor without id', { actor: { type: 'user' } }],
    ['an empty actor id', { actor: { type: 'user', id: '' } }],
    ['a non-object actor', { actor: 'alice' }],
    ['a NUL in the actor id', { actor: { type: 'user', id: 'a\u0000b' } }],
    ['a reason of 501 characters', { reason: 'r'.repeat(501) }],
    ['a non-string reason', { reason: 42 }],
  ])('refuses %s with invalid_options on every call, changing nothing', async (_c, bad) => {
    const { keyward } = setup();
    const { record } = await keyward.create({ name: 'x' });
    const options = bad as never;
    const calls = [
      keyward.create({ name: 'y', ...(bad as object) }),
      keyward.update(record.id, { name: 'y' }, options),
      keyward.rotate(record.id, options),
      keyward.revoke(record.id, options),
      keyward.disable(record.id, options),
      keyward.enable(record.id, options),
    ];
    for (const call of calls) expect(await codeOf(call)).toBe('invalid_options');
    expect((await keyward.get(record.id))?.version).toBe(1);
    expect((await keyward.audit()).items).toHaveLength(1);
  });

  it('pages by cursor, filters by key and time, and refuses bad page options', async () => {
    const { keyward, clock } = setup();
    const a = await keyward.create({ name: 'a' });
    const b = await keyward.create({ name: 'b' });
    for (let i = 0; i < 5; i++) {
      clock.advance(60_000);
      await keyward.update(a.record.id, { name: `a${i}` });
      await keyward.update(b.record.id, { name: `b${i}` });
    }
    const seen: number[] = [];
    let page = await keyward.audit({ limit: 4 });
    for (let pages = 0; pages < 10; pages++) {
      seen.push(...page.items.map((e) => e.seq));
      if (page.cursor === undefined) break;
      page = await keyward.audit({ limit: 4, cursor: page.cursor });
    }
    expect(seen).toStrictEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const onlyA = await keyward.audit({ keyId: a.record.id });
    expect(onlyA.items).toHaveLength(6);
    expect(onlyA.items.every((e) => e.keyId === a.record.id)).toBe(true);
    const recent = await keyward.audit({ since: new Date(clock.now - 60_000) });
    expect(recent.items.map((e) => e.changes?.name?.to)).toStrictEqual(['a3', 'b3', 'a4', 'b4']);
    for (const bad of [
      { limit: 0 },
      { limit: 1001 },
      { limit: 1.5 },
      { cursor: 'abc' },
      { cursor: '-1' },
      { keyId: 'not-an-id' },
      { since: Number.NaN },
      { since: 'yesterday' },
    ]) {
      expect(await codeOf(keyward.audit(bad as never)), JSON.stringify(bad)).toBe(
        'invalid_options',
      );
    }
  });

  it('finds a changed, a removed and a reordered entry, and one that was re-hashed', async () => {
    const trail = new TamperableAuditStore();
    const clock = fakeClock();
    const keyward = createKeyward({
      prefix: PREFIX,
      store: new MemoryStore(),
      auditStore: trail,
      clock,
    });
    const { record } = await keyward.create({ name: 'x' });
    for (let i = 0; i < 5; i++) await keyward.update(record.id, { name: `n${i}` });
    expect(await keyward.verifyAudit()).toMatchObject({ ok: true, entries: 6 });
    const pristine = structuredClone(trail.rows);
    const tamperings: [string, (rows: AuditRecord[]) => void, number][] = [
      [
        'a changed reason',
        (rows) => {
          rows[2]!.reason = 'nothing to see';
        },
        3,
      ],
      [
        'a changed actor',
        (rows) => {
          rows[3]!.actor = { type: 'user', id: 'mallory' };
        },
        4,
      ],
      [
        'a changed time',
        (rows) => {
          rows[1]!.at += 1;
        },
        2,
      ],
      ['a removed entry', (rows) => void rows.splice(2, 1), 3],
      ['the first entry removed', (rows) => void rows.shift(), 1],
      [
        'two entries swapped',
        (rows) => {
          const [third, fourth] = [rows[2]!, rows[3]!];
          [third.seq, fourth.seq] = [fourth.seq, third.seq];
        },
        3,
      ],
      [
        'a changed entry with its own hash recomputed',
        (rows) => {
          const { hash: _hash, ...rest } = rows[1]!;
          rows[1] = { ...sealAuditRecord({ ...rest, reason: 'forged' }, rows[0]) };
        },
        3,
      ],
    ];
    for (const [what, tamper, seq] of tamperings) {
      trail.rows = structuredClone(pristine);
      tamper(trail.rows);
      expect(await keyward.verifyAudit(), what).toStrictEqual({ ok: false, seq });
    }
  });

  it('appends to a separate audit store after the write, and reports a failed append', async () => {
    const trail = new TamperableAuditStore();
    const keyward = createKeyward({ prefix: PREFIX, store: new MemoryStore(), auditStore: trail });
    const { record } = await keyward.create({ name: 'x', actor: alice });
    expect(trail.rows.map((r) => [r.type, r.actor?.id])).toStrictEqual([
      ['key.created', 'alice@example.com'],
    ]);
    trail.failNext = true;
    expect(await codeOf(keyward.update(record.id, { name: 'y' }))).toBe('audit_failed');
    expect((await keyward.get(record.id))?.name).toBe('y');
    expect(trail.rows).toHaveLength(1);
  });

  it('keeps no trail with auditStore: false, and says so', async () => {
    const keyward = createKeyward({ prefix: PREFIX, store: new MemoryStore(), auditStore: false });
    await keyward.create({ name: 'x', actor: alice });
    expect(await codeOf(keyward.audit())).toBe('no_audit_store');
    expect(await codeOf(keyward.verifyAudit())).toBe('no_audit_store');
    expect(() =>
      createKeyward({ prefix: PREFIX, auditStore: { appendAudit() {} } as never }),
    ).toThrow(/auditStore/);
  });

  it('records one created entry when the first id collides and create retries', async () => {
    class CollidingOnce extends MemoryStore {
      collided = false;
      override insertKey(record: KeyRecord, audit?: AuditDraft): void {
        if (!this.collided) {
          this.collided = true;
          super.insertKey({ ...record, name: 'squatter' });
        }
        super.insertKey(record, audit);
      }
    }
    const store = new CollidingOnce();
    const keyward = createKeyward({ prefix: PREFIX, store });
    const { record } = await keyward.create({ name: 'x' });
    const { items } = await keyward.audit();
    expect(items.map((e) => [e.type, e.keyId])).toStrictEqual([['key.created', record.id]]);
  });
});
