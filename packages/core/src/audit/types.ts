/**
 * Who made a change: a person, a service, the CLI (with the OS user) or the console (with the
 * admin key's id).
 *
 * @example
 * ```ts
 * await keyward.revoke(id, { actor: { type: 'user', id: 'alice@example.com' }, reason: 'leaked' });
 * ```
 */
export interface AuditActor {
  readonly type: 'user' | 'service' | 'cli' | 'console';
  readonly id: string;
}

/**
 * What an audit entry records.
 *
 * @example
 * ```ts
 * const revocations = (await keyward.audit({ keyId })).items.filter((e) => e.type === 'key.revoked');
 * ```
 */
export type AuditEventType =
  | 'key.created'
  | 'key.rotated'
  | 'key.revoked'
  | 'key.updated'
  | 'key.disabled'
  | 'key.enabled';

/**
 * One changed field of an audit entry: its value before and after (`null` when absent). Never a
 * secret or a hash.
 *
 * @example
 * ```ts
 * const change: AuditChange = { from: ['invoices:read'], to: ['invoices:*'] };
 * ```
 */
export interface AuditChange {
  readonly from: unknown;
  readonly to: unknown;
}

/**
 * An audit entry as a store keeps it (times in ms since the epoch). `hash` is the SHA-256 of the
 * entry's canonical JSON including `prevHash`, so the trail is a hash chain (see
 * {@link sealAuditRecord}).
 *
 * @example
 * ```ts
 * const [first] = await store.listAudit({ limit: 1 });
 * console.log(first?.seq, first?.type, first?.hash);
 * ```
 */
export interface AuditRecord {
  /** 1, 2, 3, … without gaps, assigned by the store under its lock. */
  seq: number;
  /** A random entry id. */
  id: string;
  at: number;
  type: AuditEventType;
  keyId: string;
  actor?: AuditActor | undefined;
  reason?: string | undefined;
  changes?: Record<string, AuditChange> | undefined;
  /** The previous entry's hash (hex); 64 zeros for seq 1. */
  prevHash: string;
  /** Hex SHA-256 over the canonical JSON of every other field. */
  hash: string;
}

/**
 * An audit entry before a store sealed it into the chain.
 *
 * @example
 * ```ts
 * const draft: AuditDraft = { id: 'aud_1', at: Date.now(), type: 'key.updated', keyId: id };
 * await store.appendAudit(draft);
 * ```
 */
export type AuditDraft = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>;

/**
 * A page query for {@link AuditStore.listAudit}: entries in `seq` order, after `afterSeq`.
 *
 * @example
 * ```ts
 * const page = await store.listAudit({ keyId: '4GhT9xQ2mPz1', afterSeq: 0, limit: 100 });
 * ```
 */
export interface AuditQuery {
  keyId?: string | undefined;
  /** Only entries at or after this time (ms since the epoch). */
  since?: number | undefined;
  /** Only entries with a larger `seq`. */
  afterSeq?: number | undefined;
  /** At most this many entries, 1–1000. */
  limit: number;
}

/**
 * Where the audit trail lives. Append-only: there is no method to change or remove an entry.
 * A key store that is also an audit store appends the `audit` draft passed to `insertKey` and
 * `updateKey` in the same transaction as the write, and only when the write happened. Prove an
 * implementation with `describeAuditStore` from `@keyward/core/testing`.
 *
 * @example
 * ```ts
 * class MyAuditStore implements AuditStore {
 *   appendAudit(draft: AuditDraft) { const record = sealAuditRecord(draft, this.last); this.rows.push(record); return record; }
 *   listAudit(query: AuditQuery) { return this.rows.filter((r) => r.seq > (query.afterSeq ?? 0)).slice(0, query.limit); }
 * }
 * ```
 */
export interface AuditStore {
  /** Seals `draft` after the chain's last entry (see {@link sealAuditRecord}) and stores it. */
  appendAudit(draft: AuditDraft): AuditRecord | Promise<AuditRecord>;
  /** Entries matching the query, in `seq` order. */
  listAudit(query: AuditQuery): AuditRecord[] | Promise<AuditRecord[]>;
}

/**
 * An audit entry as {@link Keyward.audit} returns it.
 *
 * @example
 * ```ts
 * for (const entry of (await keyward.audit({ keyId })).items) console.log(entry.at.toISOString(), entry.type, entry.actor?.id);
 * ```
 */
export interface AuditEntry {
  readonly seq: number;
  readonly id: string;
  readonly at: Date;
  readonly type: AuditEventType;
  readonly keyId: string;
  readonly actor?: AuditActor | undefined;
  readonly reason?: string | undefined;
  readonly changes?: Readonly<Record<string, AuditChange>> | undefined;
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * The result of {@link Keyward.verifyAudit}: the whole chain checks out (`entries` counted, `head`
 * the last entry, worth keeping elsewhere to detect a cut-off tail later), or the first `seq` at
 * which it breaks (an entry changed, removed or out of order).
 *
 * @example
 * ```ts
 * const check = await keyward.verifyAudit();
 * if (!check.ok) alarm(`audit trail broken at entry ${check.seq}`);
 * ```
 */
export type AuditVerification =
  | {
      readonly ok: true;
      readonly entries: number;
      readonly head?: { readonly seq: number; readonly hash: string } | undefined;
    }
  | { readonly ok: false; readonly seq: number };

/**
 * Who and why, accepted by every management call.
 *
 * @example
 * ```ts
 * await keyward.disable(id, { actor: { type: 'service', id: 'fraud-detector' }, reason: 'abuse' });
 * ```
 */
export interface AuditContext {
  actor?: AuditActor | undefined;
  reason?: string | undefined;
}
