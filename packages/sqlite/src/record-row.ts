import type { KeyRecord } from '@keyward/core';

/** One row of `keyward_keys` as better-sqlite3 returns it. */
export interface KeyRow {
  id: string;
  environment: string;
  type: 'secret' | 'publishable';
  name: string;
  owner_id: string | null;
  hash: string;
  previous_hash: string | null;
  previous_hash_expires_at: number | null;
  scopes: string;
  ips: string | null;
  referrers: string | null;
  routes: string | null;
  rate_capacity: number | null;
  rate_refill_per_second: number | null;
  quota_limit: number | null;
  quota_period: 'minute' | 'hour' | 'day' | 'month' | null;
  expires_at: number | null;
  disabled: number;
  revoked_at: number | null;
  revoked_reason: string | null;
  metadata: string | null;
  created_at: number;
  updated_at: number;
  rotated_at: number | null;
  version: number;
}

/** Named parameters of the insert and update statements. */
export type KeyParams = Omit<KeyRow, 'disabled'> & { disabled: 0 | 1 };

const json = (value: unknown): string | null => (value == null ? null : JSON.stringify(value));

/** A record as statement parameters: absent optional fields become NULL. */
export function toParams(record: KeyRecord): KeyParams {
  return {
    id: record.id,
    environment: record.environment,
    type: record.type ?? 'secret',
    name: record.name,
    owner_id: record.ownerId ?? null,
    hash: record.hash,
    previous_hash: record.previousHash ?? null,
    previous_hash_expires_at: record.previousHashExpiresAt ?? null,
    scopes: JSON.stringify(record.scopes),
    ips: json(record.ips),
    referrers: json(record.referrers),
    routes: json(record.routes),
    rate_capacity: record.rateLimit?.capacity ?? null,
    rate_refill_per_second: record.rateLimit?.refillPerSecond ?? null,
    quota_limit: record.quota?.limit ?? null,
    quota_period: record.quota?.period ?? null,
    expires_at: record.expiresAt ?? null,
    disabled: record.disabled ? 1 : 0,
    revoked_at: record.revokedAt ?? null,
    revoked_reason: record.revokedReason ?? null,
    metadata: json(record.metadata),
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    rotated_at: record.rotatedAt ?? null,
    version: record.version,
  };
}

/**
 * A row as a record: NULL columns become absent fields (not `undefined` ones). `type` is always
 * set: a record written without one, and every row of an earlier release, reads back as `secret`
 * (which is what keyward reads a record without a type as).
 */
export function fromRow(row: KeyRow): KeyRecord {
  const record: KeyRecord = {
    id: row.id,
    environment: row.environment,
    type: row.type,
    name: row.name,
    hash: row.hash,
    scopes: JSON.parse(row.scopes) as string[],
    disabled: row.disabled !== 0,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
  if (row.owner_id !== null) record.ownerId = row.owner_id;
  if (row.previous_hash !== null) record.previousHash = row.previous_hash;
  if (row.previous_hash_expires_at !== null) {
    record.previousHashExpiresAt = row.previous_hash_expires_at;
  }
  if (row.ips !== null) record.ips = JSON.parse(row.ips) as string[];
  if (row.referrers !== null) record.referrers = JSON.parse(row.referrers) as string[];
  if (row.routes !== null) record.routes = JSON.parse(row.routes) as string[];
  if (row.rate_capacity !== null && row.rate_refill_per_second !== null) {
    record.rateLimit = { capacity: row.rate_capacity, refillPerSecond: row.rate_refill_per_second };
  }
  if (row.quota_limit !== null && row.quota_period !== null) {
    record.quota = { limit: row.quota_limit, period: row.quota_period };
  }
  if (row.expires_at !== null) record.expiresAt = row.expires_at;
  if (row.revoked_at !== null) record.revokedAt = row.revoked_at;
  if (row.revoked_reason !== null) record.revokedReason = row.revoked_reason;
  if (row.metadata !== null) record.metadata = JSON.parse(row.metadata) as Record<string, unknown>;
  if (row.rotated_at !== null) record.rotatedAt = row.rotated_at;
  return record;
}
