import { redactKey } from './key/format.js';
import type { KeyRecord } from './stores/types.js';
import type { KeyInfo } from './types.js';

function date(ms: number | undefined): Date | undefined {
  return ms === undefined || ms === null ? undefined : new Date(ms);
}

/** A deep, frozen copy: KeyInfo is shared by every request that verifies the same cached key. */
function frozen<T>(value: T | undefined | null): T | undefined {
  if (value === undefined || value === null) return undefined;
  return deepFreeze(structuredClone(value));
}

/** Freezes an object and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/** The public view of a record: no hash, frozen, with Dates. */
export function toKeyInfo(prefix: string, record: KeyRecord): KeyInfo {
  const info: { -readonly [K in keyof KeyInfo]: KeyInfo[K] } = {
    id: record.id,
    environment: record.environment,
    type: record.type === 'publishable' ? 'publishable' : 'secret',
    name: record.name,
    redacted: redactKey(prefix, record.environment, record.id, record.type ?? 'secret'),
    scopes: Object.freeze(Array.isArray(record.scopes) ? [...record.scopes] : []),
    disabled: record.disabled === true,
    createdAt: new Date(record.createdAt),
    updatedAt: new Date(record.updatedAt),
    version: record.version,
  };
  if (record.ownerId != null) info.ownerId = record.ownerId;
  if (record.ips != null) info.ips = frozen(record.ips);
  if (record.referrers != null) info.referrers = frozen(record.referrers);
  if (record.routes != null && record.routes.length > 0) info.routes = frozen(record.routes);
  if (record.rateLimit != null) info.rateLimit = frozen(record.rateLimit);
  if (record.quota != null) info.quota = frozen(record.quota);
  if (record.expiresAt != null) info.expiresAt = date(record.expiresAt);
  if (record.revokedAt != null) info.revokedAt = date(record.revokedAt);
  if (record.revokedReason != null) info.revokedReason = record.revokedReason;
  if (record.metadata != null) info.metadata = frozen(record.metadata);
  if (record.rotatedAt != null) info.rotatedAt = date(record.rotatedAt);
  if (record.previousHash != null && record.previousHashExpiresAt != null) {
    info.previousSecretExpiresAt = date(record.previousHashExpiresAt);
  }
  return Object.freeze(info);
}
