/** Lower-case SQL identifier, short enough that `<table>_owner_idx` fits PostgreSQL's 63 bytes. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/;

/** The table keyward uses when none is given. */
export const DEFAULT_TABLE = 'keyward_keys';

/** A validated table name, quoted for SQL, with the names derived from it. */
export interface TableName {
  /** The table as SQL, e.g. `"auth"."api_keys"`. */
  readonly sql: string;
  /** The bare table name, e.g. `api_keys` (index names derive from it). */
  readonly name: string;
  /** The schema as SQL, or undefined for the search path. */
  readonly schemaSql: string | undefined;
}

/**
 * Validates `table` (`name` or `schema.name`, each `[a-z_][a-z0-9_]{0,47}`) and quotes it.
 * Throws a TypeError naming the option otherwise.
 */
export function parseTableName(table: unknown = DEFAULT_TABLE): TableName {
  const parts = typeof table === 'string' ? table.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || parts.some((part) => !IDENTIFIER.test(part))) {
    throw new TypeError(
      'table must be a lower-case SQL identifier ([a-z_][a-z0-9_]{0,47}), optionally schema-qualified ("schema.table")',
    );
  }
  const name = parts[parts.length - 1]!;
  const schema = parts.length === 2 ? parts[0] : undefined;
  const schemaSql = schema === undefined ? undefined : `"${schema}"`;
  return {
    sql: schemaSql === undefined ? `"${name}"` : `${schemaSql}."${name}"`,
    name,
    schemaSql,
  };
}

/** A table beside `table` in its schema, named `<table>_<suffix>` (e.g. the audit trail). */
export function relatedTable(table: TableName, suffix: string): { sql: string; name: string } {
  const name = `${table.name}_${suffix}`;
  return {
    sql: table.schemaSql === undefined ? `"${name}"` : `${table.schemaSql}."${name}"`,
    name,
  };
}
