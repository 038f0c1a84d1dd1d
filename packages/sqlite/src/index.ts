export { SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';
export type { SqliteStoreOptions } from './sqlite-store.js';
export { SqliteStore } from './sqlite-store.js';
export { USAGE_SCHEMA_SQL } from './usage.js';
