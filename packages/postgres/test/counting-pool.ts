import type { PostgresQueryable, PostgresQueryConfig } from '../src/index.js';

/** Wraps a pool and counts the queries keyward sends through it. */
export function countingPool(pool: PostgresQueryable): PostgresQueryable & { count: number } {
  const counter = {
    count: 0,
    query(config: PostgresQueryConfig) {
      counter.count++;
      return pool.query(config);
    },
  };
  return counter;
}
