import {
  type AuditActor,
  type AuditDraft,
  type AuditEventType,
  type AuditQuery,
  type AuditRecord,
  sealAuditRecord,
} from '@keyward/core';
import type { PostgresQueryable } from './queryable.js';
import { RAW_TYPES } from './row.js';
import { statementName } from './statement-name.js';
import { relatedTable, type TableName } from './table-name.js';

/** The schema step that adds the audit trail. */
export const AUDIT_STEP = 4;

const COLUMNS = [
  'seq',
  'id',
  'at',
  'type',
  'key_id',
  'actor_type',
  'actor_id',
  'reason',
  'changes',
  'prev_hash',
  'hash',
] as const;
const CASTS = [
  'bigint',
  'text',
  'bigint',
  'text',
  'text',
  'text',
  'text',
  'text',
  'jsonb',
  'text',
  'text',
];
const UNIQUE_VIOLATION = '23505';
const DEADLOCK = '40P01';
/** Appends racing for the same seq retry; each lost race means another writer moved on. */
const MAX_ATTEMPTS = 64;

type AuditRow = Record<(typeof COLUMNS)[number], string | null>;

/** The audit table beside `table` (`<table>_audit`) and its DDL (schema step 4). */
export function auditTableNames(table: TableName): { sql: string; name: string; ddl: string } {
  const { sql, name } = relatedTable(table, 'audit');
  const ddl = `CREATE TABLE IF NOT EXISTS ${sql} (
  seq        bigint PRIMARY KEY,
  id         text NOT NULL UNIQUE,
  at         bigint NOT NULL,
  type       text NOT NULL,
  key_id     text COLLATE "C" NOT NULL,
  actor_type text,
  actor_id   text,
  reason     text,
  changes    jsonb,
  prev_hash  text NOT NULL,
  hash       text NOT NULL
);
CREATE INDEX IF NOT EXISTS "${name}_key_idx" ON ${sql} (key_id, seq);
CREATE INDEX IF NOT EXISTS "${name}_at_idx" ON ${sql} (at, seq);
`;
  return { sql, name, ddl };
}

function toValues(record: AuditRecord): (string | null)[] {
  return [
    String(record.seq),
    record.id,
    String(record.at),
    record.type,
    record.keyId,
    record.actor?.type ?? null,
    record.actor?.id ?? null,
    record.reason ?? null,
    record.changes === undefined ? null : JSON.stringify(record.changes),
    record.prevHash,
    record.hash,
  ];
}

function fromRow(row: AuditRow): AuditRecord {
  const record: AuditRecord = {
    seq: Number(row.seq),
    id: row.id!,
    at: Number(row.at),
    type: row.type as AuditEventType,
    keyId: row.key_id!,
    prevHash: row.prev_hash!,
    hash: row.hash!,
  };
  if (row.actor_type !== null) {
    record.actor = { type: row.actor_type as AuditActor['type'], id: row.actor_id ?? '' };
  }
  if (row.reason !== null) record.reason = row.reason;
  if (row.changes !== null) record.changes = JSON.parse(row.changes) as AuditRecord['changes'];
  return record;
}

type Statement = { name?: string; text: string };

/**
 * The audit trail on PostgreSQL. An append reads the chain's head, seals the entry after it and
 * writes it — with the key change, in the same statement (one implicit transaction) — as `seq` =
 * head + 1. The primary key on `seq` lets only one writer take each number: a writer that lost the
 * race (another process appended first) gets a unique violation, its whole statement (key change
 * included) rolls back, and it re-reads the head and tries again. No connection is held between
 * statements, so any pool, client or proxy that runs `query()` will do.
 */
export class PostgresAudit {
  readonly #pool: PostgresQueryable;
  readonly #pkey: string;
  readonly #head: Statement;
  readonly #append: Statement;
  readonly #insertKey: Statement;
  readonly #updateKey: Statement;
  readonly #table: string;

  constructor(
    pool: PostgresQueryable,
    table: TableName,
    keySql: { insert: string; update: string; columns: number },
    prepare: boolean,
  ) {
    const audit = auditTableNames(table);
    this.#pool = pool;
    this.#table = audit.sql;
    this.#pkey = `${audit.name}_pkey`;
    const statement = (purpose: string, text: string): Statement =>
      prepare ? { name: statementName(purpose, text), text } : { text };
    const list = COLUMNS.join(', ');
    const selected = (first: number) =>
      COLUMNS.map((_, i) => `$${first + i}::${CASTS[i]}`).join(', ');
    this.#head = statement(
      'audit_head',
      `SELECT seq, hash, at FROM ${audit.sql} ORDER BY seq DESC LIMIT 1`,
    );
    this.#append = statement(
      'audit_append',
      `INSERT INTO ${audit.sql} (${list}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
    );
    // The key statement's parameters come first: its columns (and the expected version).
    this.#insertKey = statement(
      'audit_insert',
      `WITH written AS (${keySql.insert} RETURNING 1) INSERT INTO ${audit.sql} (${list}) ` +
        `SELECT ${selected(keySql.columns + 1)} WHERE EXISTS (SELECT 1 FROM written)`,
    );
    this.#updateKey = statement(
      'audit_update',
      `WITH written AS (${keySql.update} RETURNING 1) INSERT INTO ${audit.sql} (${list}) ` +
        `SELECT ${selected(keySql.columns + 2)} WHERE EXISTS (SELECT 1 FROM written)`,
    );
  }

  /** Seals and appends an entry on its own. */
  append(draft: AuditDraft): Promise<AuditRecord> {
    return this.#sealed(draft, async (record) => {
      await this.#query(this.#append, toValues(record));
      return record;
    });
  }

  /** Inserts a key record (its parameters `keyValues`) and its entry in one statement. */
  insertKey(keyValues: unknown[], draft: AuditDraft): Promise<void> {
    return this.#sealed(draft, async (record) => {
      await this.#query(this.#insertKey, [...keyValues, ...toValues(record)]);
    });
  }

  /** Updates a key record and appends its entry in one statement, only when the update matched. */
  updateKey(keyValues: unknown[], draft: AuditDraft): Promise<boolean> {
    return this.#sealed(draft, async (record) => {
      const { rowCount } = await this.#query(this.#updateKey, [...keyValues, ...toValues(record)]);
      return rowCount === 1;
    });
  }

  async list(query: AuditQuery): Promise<AuditRecord[]> {
    const values: unknown[] = [];
    const conditions: string[] = [];
    const where = (condition: string, value: unknown) => {
      values.push(value);
      conditions.push(`${condition} $${values.length}`);
    };
    if (query.keyId !== undefined) where('key_id =', query.keyId);
    if (query.since !== undefined) where('at >=', String(Math.ceil(query.since)));
    where('seq >', String(Math.max(0, Math.trunc(query.afterSeq ?? 0))));
    values.push(Math.max(1, Math.min(1000, Math.trunc(query.limit))));
    const text =
      `SELECT ${COLUMNS.join(', ')} FROM ${this.#table} WHERE ${conditions.join(' AND ')} ` +
      `ORDER BY seq LIMIT $${values.length}`;
    const { rows } = await this.#pool.query({ text, values, types: RAW_TYPES });
    return (rows as AuditRow[]).map(fromRow);
  }

  async #sealed<T>(draft: AuditDraft, write: (record: AuditRecord) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const { rows } = await this.#query(this.#head, []);
      const head = rows[0] as { seq: string; hash: string; at: string } | undefined;
      const record = sealAuditRecord(
        draft,
        head === undefined
          ? undefined
          : { seq: Number(head.seq), hash: head.hash, at: Number(head.at) },
      );
      try {
        return await write(record);
      } catch (error) {
        const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
        const lostRace =
          (code === UNIQUE_VIOLATION && constraint === this.#pkey) || code === DEADLOCK;
        if (!lostRace || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  #query(statement: Statement, values: unknown[]) {
    return this.#pool.query({ ...statement, values, types: RAW_TYPES });
  }
}
