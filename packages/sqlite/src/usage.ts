import {
  querySubject,
  rollUpUsage,
  USAGE_BUCKET_MS,
  type UsageGranularity,
  type UsageOutcome,
  type UsageQuery,
  type UsageRow,
  type UsageTotal,
} from '@keyward/core';
import type Database from 'better-sqlite3';

/**
 * Schema step 3: usage counts and last use. `keyward_usage` holds one row per (subject, level,
 * bucket start, outcome, route), where a subject is a key id, `''` (no stored key's secret
 * matched), `'*'` (the whole deployment) or `'@' + ownerId`, and the level is 0 (minute), 1 (hour)
 * or 2 (day).
 * Flushes write minute rows only; pruning moves minute rows past their retention into hour rows
 * and hour rows into day rows (in one transaction, so each count lives in exactly one row), and
 * deletes day rows past theirs. Idempotent.
 *
 * @example
 * ```ts
 * db.exec(USAGE_SCHEMA_SQL);
 * ```
 */
export const USAGE_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS keyward_usage (
  subject TEXT NOT NULL,
  level   INTEGER NOT NULL,
  start   INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  route   TEXT NOT NULL,
  count   INTEGER NOT NULL,
  cost    INTEGER NOT NULL,
  PRIMARY KEY (subject, level, start, outcome, route)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keyward_usage_age ON keyward_usage (level, start);

CREATE TABLE IF NOT EXISTS keyward_last_used (
  key_id TEXT PRIMARY KEY,
  at     INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS keyward_usage_batches (
  id TEXT PRIMARY KEY,
  at INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Levels a query of each granularity reads: the finer levels hold what is not rolled up yet. */
const LEVELS: Readonly<Record<UsageGranularity, string>> = {
  minute: '(0)',
  hour: '(0, 1)',
  day: '(0, 1, 2)',
};
const PRUNE_EVERY_MS = 3_600_000;
const BATCH_MEMORY_MS = 86_400_000;

interface TotalRow {
  start: number;
  route: string;
  outcome: UsageOutcome;
  count: number;
  cost: number;
}

/** Usage on SQLite for `SqliteStore`: statements prepared once, every write one transaction. */
export class SqliteUsage {
  readonly #record: (
    rows: readonly UsageRow[],
    lastUsed: ReadonlyMap<string, number>,
    batchId: string | undefined,
  ) => number;
  readonly #byTime: Record<UsageGranularity, Database.Statement<unknown[], TotalRow>>;
  readonly #byRoute: Record<UsageGranularity, Database.Statement<unknown[], TotalRow>>;
  readonly #lastUsedOf: Database.Statement<[string], { at: number }>;
  readonly #prune: (now: number) => void;
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(db: Database.Database, retention: Readonly<Record<UsageGranularity, number>>) {
    const remember = db.prepare<[string, number]>(
      'INSERT OR IGNORE INTO keyward_usage_batches (id, at) VALUES (?, ?)',
    );
    const add = db.prepare<[string, number, string, string, number, number]>(
      'INSERT INTO keyward_usage (subject, level, start, outcome, route, count, cost) VALUES (?, 0, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (subject, level, start, outcome, route) DO UPDATE SET count = count + excluded.count, cost = cost + excluded.cost',
    );
    const touch = db.prepare<[string, number]>(
      'INSERT INTO keyward_last_used (key_id, at) VALUES (?, ?) ' +
        'ON CONFLICT (key_id) DO UPDATE SET at = max(at, excluded.at)',
    );
    this.#record = db.transaction((rows, lastUsed, batchId) => {
      if (batchId !== undefined && remember.run(batchId, Date.now()).changes === 0) return -1;
      let latest = Number.NEGATIVE_INFINITY;
      for (const cell of rollUpUsage(rows, 'minute')) {
        add.run(cell.subject, cell.start, cell.outcome, cell.route, cell.count, cell.cost);
        if (cell.start > latest) latest = cell.start;
      }
      for (const [keyId, at] of lastUsed) touch.run(keyId, at);
      return latest;
    }).immediate;

    const select = (granularity: UsageGranularity, byRoute: boolean) =>
      db.prepare<unknown[], TotalRow>(
        byRoute
          ? `SELECT ? AS start, route, outcome, sum(count) AS count, sum(cost) AS cost FROM keyward_usage
             WHERE subject = ? AND level IN ${LEVELS[granularity]} AND start >= ? AND start < ?
             GROUP BY route, outcome`
          : `SELECT start - start % ${USAGE_BUCKET_MS[granularity]} AS start, '' AS route, outcome,
                    sum(count) AS count, sum(cost) AS cost FROM keyward_usage
             WHERE subject = ? AND level IN ${LEVELS[granularity]} AND start >= ? AND start < ?
             GROUP BY 1, outcome`,
      );
    this.#byTime = {
      minute: select('minute', false),
      hour: select('hour', false),
      day: select('day', false),
    };
    this.#byRoute = {
      minute: select('minute', true),
      hour: select('hour', true),
      day: select('day', true),
    };
    this.#lastUsedOf = db.prepare<[string], { at: number }>(
      'SELECT at FROM keyward_last_used WHERE key_id = ?',
    );

    const rollUp = (from: number, width: number) =>
      db.prepare<[number]>(
        `INSERT INTO keyward_usage (subject, level, start, outcome, route, count, cost)
         SELECT subject, ${from + 1}, start - start % ${width}, outcome, route, sum(count), sum(cost)
         FROM keyward_usage WHERE level = ${from} AND start < ? GROUP BY 1, 2, 3, 4, 5
         ON CONFLICT (subject, level, start, outcome, route)
         DO UPDATE SET count = count + excluded.count, cost = cost + excluded.cost`,
      );
    const drop = db.prepare<[number, number]>(
      'DELETE FROM keyward_usage WHERE level = ? AND start < ?',
    );
    const minutesToHours = rollUp(0, USAGE_BUCKET_MS.hour);
    const hoursToDays = rollUp(1, USAGE_BUCKET_MS.day);
    const forgetBatches = db.prepare<[number]>('DELETE FROM keyward_usage_batches WHERE at < ?');
    this.#prune = db.transaction((now: number) => {
      const minutes = now - retention.minute;
      minutesToHours.run(minutes);
      drop.run(0, minutes);
      const hours = now - retention.hour;
      hoursToDays.run(hours);
      drop.run(1, hours);
      drop.run(2, now - retention.day);
      forgetBatches.run(Date.now() - BATCH_MEMORY_MS);
    }).immediate;
  }

  record(
    rows: readonly UsageRow[],
    lastUsed: ReadonlyMap<string, number>,
    batchId: string | undefined,
  ): void {
    const latest = this.#record(rows, lastUsed, batchId);
    if (latest - this.#prunedAt >= PRUNE_EVERY_MS) this.prune(latest);
  }

  query(query: UsageQuery): UsageTotal[] {
    const { granularity, from, to } = query;
    const subject = querySubject(query);
    return query.groupBy === 'route'
      ? this.#byRoute[granularity].all(from, subject, from, to)
      : this.#byTime[granularity].all(subject, from, to);
  }

  lastUsed(keyIds: readonly string[]): Map<string, number> {
    const found = new Map<string, number>();
    for (const keyId of keyIds) {
      const row = this.#lastUsedOf.get(keyId);
      if (row !== undefined) found.set(keyId, row.at);
    }
    return found;
  }

  prune(now: number): void {
    this.#prunedAt = now;
    this.#prune(now);
  }
}
