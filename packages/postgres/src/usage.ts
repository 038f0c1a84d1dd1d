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
import type { PostgresQueryable } from './queryable.js';
import { RAW_TYPES } from './row.js';
import { statementName } from './statement-name.js';
import { relatedTable, type TableName } from './table-name.js';

/** The schema step that adds usage. */
export const USAGE_STEP = 3;

/**
 * Schema step 3 for the key table `table`: usage counts (`<table>_usage`), each key's last use
 * (`<table>_last_used`) and the batches already applied (`<table>_usage_batches`). A usage row is
 * one (subject, level, bucket start, outcome, route), where a subject is a key id, `''` (no stored
 * key's secret matched), `'*'` (the deployment) or `'@' + ownerId`, and the level is 0 (minute), 1
 * (hour) or 2 (day). Idempotent.
 */
export function usageStepSql(table: TableName): string {
  const usage = relatedTable(table, 'usage');
  const lastUsed = relatedTable(table, 'last_used');
  const batches = relatedTable(table, 'usage_batches');
  return `CREATE TABLE IF NOT EXISTS ${usage.sql} (
  subject text COLLATE "C" NOT NULL,
  level   smallint NOT NULL,
  start   bigint NOT NULL,
  outcome text COLLATE "C" NOT NULL,
  route   text COLLATE "C" NOT NULL,
  count   bigint NOT NULL,
  cost    bigint NOT NULL,
  CONSTRAINT "${table.name}_usage_pk" PRIMARY KEY (subject, level, start, outcome, route)
);
CREATE INDEX IF NOT EXISTS "${table.name}_usage_age" ON ${usage.sql} USING brin (start);
CREATE TABLE IF NOT EXISTS ${lastUsed.sql} (
  key_id text COLLATE "C" NOT NULL,
  at     bigint NOT NULL,
  CONSTRAINT "${table.name}_last_used_pk" PRIMARY KEY (key_id)
);
CREATE TABLE IF NOT EXISTS ${batches.sql} (
  id text COLLATE "C" NOT NULL,
  at bigint NOT NULL,
  CONSTRAINT "${table.name}_batches_pk" PRIMARY KEY (id)
);
`;
}

const LEVELS: Readonly<Record<UsageGranularity, string>> = {
  minute: '{0}',
  hour: '{0,1}',
  day: '{0,1,2}',
};
/** Rows moved or deleted per statement when pruning, and statements per level per prune. */
const PRUNE_CHUNK = 50_000;
const PRUNE_ROUNDS = 20;
const PRUNE_EVERY_MS = 3_600_000;
const BATCH_MEMORY_MS = 86_400_000;

type Statement = { name?: string; text: string };

interface TotalRow {
  start: string;
  route: string;
  outcome: UsageOutcome;
  count: string;
  cost: string;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Usage on PostgreSQL for `PostgresStore`: each write is one statement, so one transaction. */
export class PostgresUsage {
  readonly #pool: PostgresQueryable;
  readonly #retention: Readonly<Record<UsageGranularity, number>>;
  readonly #record: Statement;
  readonly #byTime: Statement;
  readonly #byRoute: Statement;
  readonly #lastUsed: Statement;
  readonly #rollUp: readonly [Statement, Statement];
  readonly #drop: Statement;
  readonly #forget: Statement;
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(
    pool: PostgresQueryable,
    table: TableName,
    retention: Readonly<Record<UsageGranularity, number>>,
    prepare: boolean,
  ) {
    this.#pool = pool;
    this.#retention = retention;
    const usage = relatedTable(table, 'usage').sql;
    const lastUsed = relatedTable(table, 'last_used').sql;
    const batches = relatedTable(table, 'usage_batches').sql;
    const statement = (purpose: string, text: string): Statement =>
      prepare ? { name: statementName(purpose, text), text } : { text };
    // One statement: the batch id claimed (a batch seen before changes nothing), the minute rows
    // added, the last uses raised. Rows arrive sorted, so concurrent flushes lock rows in one order.
    this.#record = statement(
      'usage_record',
      `WITH batch AS (
  INSERT INTO ${batches} (id, at) SELECT $1::text, $2::bigint WHERE $1::text IS NOT NULL
  ON CONFLICT (id) DO NOTHING RETURNING id
), go AS (
  SELECT 1 WHERE $1::text IS NULL OR EXISTS (SELECT 1 FROM batch)
), counted AS (
  INSERT INTO ${usage} AS u (subject, level, start, outcome, route, count, cost)
  SELECT r.subject, 0, r.start, r.outcome, r.route, r.count, r.cost
  FROM go, unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::bigint[])
    AS r(subject, start, outcome, route, count, cost)
  ON CONFLICT (subject, level, start, outcome, route)
  DO UPDATE SET count = u.count + excluded.count, cost = u.cost + excluded.cost
  RETURNING 1
)
INSERT INTO ${lastUsed} AS l (key_id, at)
SELECT k.key_id, k.at FROM go, unnest($9::text[], $10::bigint[]) AS k(key_id, at)
ON CONFLICT (key_id) DO UPDATE SET at = GREATEST(l.at, excluded.at)`,
    );
    const where = 'subject = $1 AND level = ANY($2::smallint[]) AND start >= $3 AND start < $4';
    this.#byTime = statement(
      'usage_by_time',
      `SELECT start - start % $5::bigint AS start, '' AS route, outcome, sum(count) AS count, sum(cost) AS cost
FROM ${usage} WHERE ${where} GROUP BY 1, outcome`,
    );
    this.#byRoute = statement(
      'usage_by_route',
      `SELECT $3::bigint AS start, route, outcome, sum(count) AS count, sum(cost) AS cost
FROM ${usage} WHERE ${where} GROUP BY route, outcome`,
    );
    this.#lastUsed = statement(
      'usage_last_used',
      `SELECT key_id, at FROM ${lastUsed} WHERE key_id = ANY($1::text[])`,
    );
    // Moves rows of a level past its retention into the next level, at most PRUNE_CHUNK at a
    // time; the delete and the insert are one statement, so each count lands exactly once.
    const rollUp = (level: number, width: number) =>
      statement(
        `usage_roll_up_${level}`,
        `WITH moved AS (
  DELETE FROM ${usage} WHERE ctid IN (
    SELECT ctid FROM ${usage} WHERE level = ${level} AND start < $1 LIMIT ${PRUNE_CHUNK}
  ) RETURNING subject, start, outcome, route, count, cost
), added AS (
  INSERT INTO ${usage} AS u (subject, level, start, outcome, route, count, cost)
  SELECT subject, ${level + 1}, start - start % ${width}, outcome, route, sum(count), sum(cost)
  FROM moved GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT (subject, level, start, outcome, route)
  DO UPDATE SET count = u.count + excluded.count, cost = u.cost + excluded.cost
  RETURNING 1
)
SELECT count(*) AS moved FROM moved`,
      );
    this.#rollUp = [rollUp(0, USAGE_BUCKET_MS.hour), rollUp(1, USAGE_BUCKET_MS.day)];
    this.#drop = statement(
      'usage_drop',
      `DELETE FROM ${usage} WHERE ctid IN (
  SELECT ctid FROM ${usage} WHERE level = 2 AND start < $1 LIMIT ${PRUNE_CHUNK}
)`,
    );
    this.#forget = statement('usage_forget', `DELETE FROM ${batches} WHERE at < $1`);
  }

  async record(
    rows: readonly UsageRow[],
    lastUsed: ReadonlyMap<string, number>,
    batchId: string | undefined,
  ): Promise<void> {
    const cells = rollUpUsage(rows, 'minute').sort(
      (a, b) =>
        byText(a.subject, b.subject) ||
        a.start - b.start ||
        byText(a.outcome, b.outcome) ||
        byText(a.route, b.route),
    );
    const used = [...lastUsed].sort((a, b) => byText(a[0], b[0]));
    let latest = Number.NEGATIVE_INFINITY;
    for (const cell of cells) if (cell.start > latest) latest = cell.start;
    await this.#pool.query({
      ...this.#record,
      values: [
        batchId ?? null,
        String(Date.now()),
        cells.map((c) => c.subject),
        cells.map((c) => String(c.start)),
        cells.map((c) => c.outcome),
        cells.map((c) => c.route),
        cells.map((c) => String(c.count)),
        cells.map((c) => String(c.cost)),
        used.map(([keyId]) => keyId),
        used.map(([, at]) => String(at)),
      ],
      types: RAW_TYPES,
    });
    if (latest - this.#prunedAt >= PRUNE_EVERY_MS) {
      // Now and then, off the flush's critical path; a failure waits for the next time.
      this.prune(latest).catch(() => {
        this.#prunedAt = Number.NEGATIVE_INFINITY;
      });
    }
  }

  async query(query: UsageQuery): Promise<UsageTotal[]> {
    const { granularity, from, to } = query;
    const values: unknown[] = [querySubject(query), LEVELS[granularity], String(from), String(to)];
    const byRoute = query.groupBy === 'route';
    if (!byRoute) values.push(String(USAGE_BUCKET_MS[granularity]));
    const { rows } = await this.#pool.query({
      ...(byRoute ? this.#byRoute : this.#byTime),
      values,
      types: RAW_TYPES,
    });
    return (rows as TotalRow[]).map((row) => ({
      start: Number(row.start),
      route: row.route,
      outcome: row.outcome,
      count: Number(row.count),
      cost: Number(row.cost),
    }));
  }

  async lastUsed(keyIds: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    if (keyIds.length === 0) return found;
    const { rows } = await this.#pool.query({
      ...this.#lastUsed,
      values: [[...keyIds]],
      types: RAW_TYPES,
    });
    for (const row of rows as { key_id: string; at: string }[])
      found.set(row.key_id, Number(row.at));
    return found;
  }

  async prune(now: number): Promise<void> {
    this.#prunedAt = now;
    const cutoffs = [now - this.#retention.minute, now - this.#retention.hour];
    for (const [level, statement] of this.#rollUp.entries()) {
      for (let round = 0; round < PRUNE_ROUNDS; round++) {
        const { rows } = await this.#pool.query({
          ...statement,
          values: [String(cutoffs[level])],
          types: RAW_TYPES,
        });
        const moved = Number((rows[0] as { moved?: string } | undefined)?.moved ?? 0);
        if (moved < PRUNE_CHUNK) break;
      }
    }
    for (let round = 0; round < PRUNE_ROUNDS; round++) {
      const { rowCount } = await this.#pool.query({
        ...this.#drop,
        values: [String(now - this.#retention.day)],
      });
      if ((rowCount ?? 0) < PRUNE_CHUNK) break;
    }
    await this.#pool.query({ ...this.#forget, values: [String(Date.now() - BATCH_MEMORY_MS)] });
  }
}
