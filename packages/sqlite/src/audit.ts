import {
  type AuditActor,
  type AuditDraft,
  type AuditEventType,
  type AuditQuery,
  type AuditRecord,
  sealAuditRecord,
} from '@keyward/core';
import type Database from 'better-sqlite3';

/**
 * Schema step 4: the audit trail. One row per entry, `seq` the primary key; `changes` is the JSON
 * text keyward hashed. Idempotent.
 */
export const AUDIT_SQL = `
CREATE TABLE IF NOT EXISTS keyward_audit (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  at         INTEGER NOT NULL,
  type       TEXT NOT NULL,
  key_id     TEXT NOT NULL,
  actor_type TEXT,
  actor_id   TEXT,
  reason     TEXT,
  changes    TEXT,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS keyward_audit_key ON keyward_audit (key_id, seq);
CREATE INDEX IF NOT EXISTS keyward_audit_at ON keyward_audit (at, seq);
`;

interface AuditRow {
  seq: number;
  id: string;
  at: number;
  type: AuditEventType;
  key_id: string;
  actor_type: AuditActor['type'] | null;
  actor_id: string | null;
  reason: string | null;
  changes: string | null;
  prev_hash: string;
  hash: string;
}

interface ListParams {
  key_id?: string;
  since?: number;
  after_seq: number;
  limit: number;
}

function fromRow(row: AuditRow): AuditRecord {
  const record: AuditRecord = {
    seq: row.seq,
    id: row.id,
    at: row.at,
    type: row.type,
    keyId: row.key_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
  if (row.actor_type !== null) record.actor = { type: row.actor_type, id: row.actor_id ?? '' };
  if (row.reason !== null) record.reason = row.reason;
  if (row.changes !== null) record.changes = JSON.parse(row.changes) as AuditRecord['changes'];
  return record;
}

/** The audit trail's statements on one database. */
export class SqliteAudit {
  readonly #head: Database.Statement<[], { seq: number; hash: string; at: number }>;
  readonly #insert: Database.Statement<[AuditRow]>;
  readonly #list: Record<
    'all' | 'key' | 'since' | 'both',
    Database.Statement<[ListParams], AuditRow>
  >;

  constructor(db: Database.Database) {
    this.#head = db.prepare('SELECT seq, hash, at FROM keyward_audit ORDER BY seq DESC LIMIT 1');
    this.#insert = db.prepare(
      'INSERT INTO keyward_audit (seq, id, at, type, key_id, actor_type, actor_id, reason, changes, prev_hash, hash) ' +
        'VALUES (@seq, @id, @at, @type, @key_id, @actor_type, @actor_id, @reason, @changes, @prev_hash, @hash)',
    );
    const list = (where: string) =>
      db.prepare<[ListParams], AuditRow>(
        `SELECT * FROM keyward_audit WHERE ${where}seq > @after_seq ORDER BY seq LIMIT @limit`,
      );
    this.#list = {
      all: list(''),
      key: list('key_id = @key_id AND '),
      since: list('at >= @since AND '),
      both: list('key_id = @key_id AND at >= @since AND '),
    };
  }

  /** Seals and inserts `draft` after the last entry. Call inside an IMMEDIATE transaction. */
  append(draft: AuditDraft): AuditRecord {
    const record = sealAuditRecord(draft, this.#head.get());
    this.#insert.run({
      seq: record.seq,
      id: record.id,
      at: record.at,
      type: record.type,
      key_id: record.keyId,
      actor_type: record.actor?.type ?? null,
      actor_id: record.actor?.id ?? null,
      reason: record.reason ?? null,
      changes: record.changes === undefined ? null : JSON.stringify(record.changes),
      prev_hash: record.prevHash,
      hash: record.hash,
    });
    return record;
  }

  list(query: AuditQuery): AuditRecord[] {
    const limit = Math.max(1, Math.min(1000, Math.trunc(query.limit)));
    const params: ListParams = { after_seq: query.afterSeq ?? 0, limit };
    const { keyId, since } = query;
    if (keyId !== undefined) params.key_id = keyId;
    if (since !== undefined) params.since = since;
    const statement =
      keyId !== undefined
        ? since !== undefined
          ? this.#list.both
          : this.#list.key
        : since !== undefined
          ? this.#list.since
          : this.#list.all;
    return statement.all(params).map(fromRow);
  }
}
