import { callStore } from '../async.js';
import { InvalidOptionsError, KeywardError } from '../errors.js';
import { KEY_ID_PATTERN } from '../key/format.js';
import { deepFreeze } from '../key-info.js';
import { AuditChainCheck } from './chain.js';
import type {
  AuditDraft,
  AuditEntry,
  AuditRecord,
  AuditStore,
  AuditVerification,
} from './types.js';

/**
 * Options of {@link Keyward.audit}.
 *
 * @example
 * ```ts
 * const page = await keyward.audit({ keyId: '4GhT9xQ2mPz1', since: Date.now() - 86_400_000, limit: 50 });
 * ```
 */
export interface AuditListOptions {
  /** Only this key's entries. */
  keyId?: string | undefined;
  /** Only entries at or after this time. */
  since?: Date | number | undefined;
  /** Page size, 1–1000; default 100. */
  limit?: number | undefined;
  /** The `cursor` of the previous page. */
  cursor?: string | undefined;
}

const PAGE = 1000;
const AUDIT_METHODS = ['appendAudit', 'listAudit'] as const;

/** Whether `value` implements {@link AuditStore}. */
export function isAuditStore(value: unknown): value is AuditStore {
  return AUDIT_METHODS.every(
    (method) => typeof (value as Record<string, unknown> | null)?.[method] === 'function',
  );
}

/** The public, frozen form of a stored entry. */
export function toAuditEntry(record: AuditRecord): AuditEntry {
  const entry: { -readonly [K in keyof AuditEntry]: AuditEntry[K] } = {
    seq: record.seq,
    id: record.id,
    at: new Date(record.at),
    type: record.type,
    keyId: record.keyId,
    prevHash: record.prevHash,
    hash: record.hash,
  };
  if (record.actor != null) entry.actor = { type: record.actor.type, id: record.actor.id };
  if (record.reason != null) entry.reason = record.reason;
  if (record.changes != null) entry.changes = structuredClone(record.changes);
  return deepFreeze(entry);
}

/** The audit trail of a keyward instance: where entries go, paging and checking them. */
export class AuditTrail {
  constructor(
    readonly store: AuditStore,
    /** The key store is the audit store: drafts travel with the write (one transaction). */
    readonly inKeyStore: boolean,
    private readonly storeTimeoutMs: number,
  ) {}

  /** Appends a draft on its own (an audit store apart from the key store). */
  async append(draft: AuditDraft): Promise<void> {
    try {
      await callStore(() => this.store.appendAudit(draft), this.storeTimeoutMs, 'audit store');
    } catch (error) {
      throw new KeywardError(
        'audit_failed',
        `key ${draft.keyId} was changed, but its audit entry could not be appended`,
        { cause: error },
      );
    }
  }

  async page(options: AuditListOptions = {}): Promise<{ items: AuditEntry[]; cursor?: string }> {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionsError('audit() takes an options object');
    }
    const limit = options.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > PAGE) {
      throw new InvalidOptionsError(`limit must be an integer from 1 to ${PAGE}`);
    }
    const { keyId, cursor } = options;
    if (keyId !== undefined && (typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId))) {
      throw new InvalidOptionsError('keyId must be a key id (12 base62 characters)');
    }
    let since: number | undefined;
    if (options.since !== undefined) {
      since = options.since instanceof Date ? options.since.getTime() : options.since;
      if (typeof since !== 'number' || !Number.isFinite(since)) {
        throw new InvalidOptionsError('since must be a Date or a number of ms since the epoch');
      }
    }
    let afterSeq: number | undefined;
    if (cursor !== undefined) {
      afterSeq = typeof cursor === 'string' && /^\d{1,15}$/.test(cursor) ? Number(cursor) : -1;
      if (afterSeq < 0) throw new InvalidOptionsError('cursor must be one audit() returned');
    }
    const records = await callStore(
      () => this.store.listAudit({ keyId, since, afterSeq, limit }),
      this.storeTimeoutMs,
      'audit store',
    );
    const items = records.slice(0, limit).map(toAuditEntry);
    const last = items[items.length - 1];
    return items.length === limit && last !== undefined
      ? { items, cursor: String(last.seq) }
      : { items };
  }

  async verify(): Promise<AuditVerification> {
    const check = new AuditChainCheck();
    let afterSeq = 0;
    for (;;) {
      const records = await callStore(
        () => this.store.listAudit({ afterSeq, limit: PAGE }),
        this.storeTimeoutMs,
        'audit store',
      );
      for (const record of records) {
        const broken = check.next(record);
        if (broken !== undefined) return { ok: false, seq: broken };
      }
      const last = records[records.length - 1];
      if (records.length < PAGE || last === undefined) break;
      if (!(last.seq > afterSeq)) return { ok: false, seq: check.count + 1 };
      afterSeq = last.seq;
    }
    const head = check.head;
    return head === undefined
      ? { ok: true, entries: check.count }
      : { ok: true, entries: check.count, head };
  }
}
