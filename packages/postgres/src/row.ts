import type { KeyRecord } from '@keyward/core';

/** The table's columns in the order {@link toRow} writes them. */
export const COLUMNS = [
  'id',
  'environment',
  'name',
  'owner_id',
  'hash',
  'previous_hash',
  'previous_hash_expires_at',
  'scopes',
  'ips',
  'referrers',
  'rate_limit',
  'quota',
  'expires_at',
  'disabled',
  'revoked_at',
  'revoked_reason',
  'metadata',
  'created_at',
  'updated_at',
  'rotated_at',
  'version',
  'type',
  'routes',
] as const;

type Column = (typeof COLUMNS)[number];

/** A row as read with {@link RAW_TYPES}: every non-null value is PostgreSQL's text form. */
export type Row = Record<Column, string | null>;

const identity = (value: string) => value;

/**
 * Per-query type parsers that return PostgreSQL's text form untouched, so the record does not
 * depend on the application's global `pg.types` settings (e.g. BIGINT parsed as number or bigint).
 */
export const RAW_TYPES = { getTypeParser: () => identity };

function time(value: number | undefined, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (!Number.isSafeInteger(value)) {
    throw new TypeError(`${field} must be a whole number of milliseconds`);
  }
  return String(value);
}

function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

function text(value: string | undefined): string | null {
  return value === undefined || value === null ? null : value;
}

/** The query parameters that store `record`, in {@link COLUMNS} order. */
export function toRow(record: KeyRecord): (string | boolean | null)[] {
  if (!Number.isSafeInteger(record.version) || record.version < 1) {
    throw new TypeError('version must be a positive integer');
  }
  return [
    record.id,
    record.environment,
    record.name,
    text(record.ownerId),
    record.hash,
    text(record.previousHash),
    time(record.previousHashExpiresAt, 'previousHashExpiresAt'),
    JSON.stringify(record.scopes),
    json(record.ips),
    json(record.referrers),
    json(record.rateLimit),
    json(record.quota),
    time(record.expiresAt, 'expiresAt'),
    record.disabled === true,
    time(record.revokedAt, 'revokedAt'),
    text(record.revokedReason),
    json(record.metadata),
    time(record.createdAt, 'createdAt'),
    time(record.updatedAt, 'updatedAt'),
    time(record.rotatedAt, 'rotatedAt'),
    String(record.version),
    record.type ?? 'secret',
    json(record.routes),
  ];
}

/**
 * The record a row holds; NULL columns become absent fields. `type` is always set: a record
 * written without one, and every row of an earlier release, reads back as `secret` (which is what
 * keyward reads a record without a type as).
 */
export function fromRow(row: Row): KeyRecord {
  const record: KeyRecord = {
    id: row.id!,
    environment: row.environment!,
    type: row.type as NonNullable<KeyRecord['type']>,
    name: row.name!,
    hash: row.hash!,
    scopes: JSON.parse(row.scopes!) as string[],
    disabled: row.disabled === 't',
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    version: Number(row.version),
  };
  if (row.owner_id !== null) record.ownerId = row.owner_id;
  if (row.previous_hash !== null) record.previousHash = row.previous_hash;
  if (row.previous_hash_expires_at !== null) {
    record.previousHashExpiresAt = Number(row.previous_hash_expires_at);
  }
  if (row.ips !== null) record.ips = JSON.parse(row.ips) as string[];
  if (row.referrers !== null) record.referrers = JSON.parse(row.referrers) as string[];
  if (row.routes !== null) record.routes = JSON.parse(row.routes) as string[];
  if (row.rate_limit !== null) {
    record.rateLimit = JSON.parse(row.rate_limit) as NonNullable<KeyRecord['rateLimit']>;
  }
  if (row.quota !== null) record.quota = JSON.parse(row.quota) as NonNullable<KeyRecord['quota']>;
  if (row.expires_at !== null) record.expiresAt = Number(row.expires_at);
  if (row.revoked_at !== null) record.revokedAt = Number(row.revoked_at);
  if (row.revoked_reason !== null) record.revokedReason = row.revoked_reason;
  if (row.metadata !== null) record.metadata = JSON.parse(row.metadata) as Record<string, unknown>;
  if (row.rotated_at !== null) record.rotatedAt = Number(row.rotated_at);
  return record;
}
