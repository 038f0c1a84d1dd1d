export type { PostgresListenClient } from './invalidation.js';
export type { MigrateOptions } from './migrate.js';
export { migrate } from './migrate.js';
export type { PostgresInvalidationOptions, PostgresStoreOptions } from './postgres-store.js';
export { PostgresStore } from './postgres-store.js';
export type { PostgresQueryable, PostgresQueryConfig } from './queryable.js';
export { MIGRATION_SQL, migrationSql } from './schema.js';
