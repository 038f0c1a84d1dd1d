/**
 * The parts of a pg query config keyward sends (a subset of pg's `QueryConfig`).
 *
 * @example
 * ```ts
 * const config: PostgresQueryConfig = { text: 'SELECT 1 WHERE $1::text IS NOT NULL', values: ['x'] };
 * ```
 */
export interface PostgresQueryConfig {
  text: string;
  values?: unknown[];
  /** A prepared-statement name (prepared once per connection). */
  name?: string;
  /** Per-query type parsers, so a global `pg.types.setTypeParser` cannot change what keyward reads. */
  types?: { getTypeParser: (...args: never[]) => unknown };
}

/**
 * What keyward needs from pg: a `pg.Pool`, a `pg.Client` or a checked-out `PoolClient` you
 * already have. keyward never connects, ends or configures it.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool: PostgresQueryable = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PostgresQueryable {
  query(config: PostgresQueryConfig): Promise<{ rows: unknown[]; rowCount: number | null }>;
}
