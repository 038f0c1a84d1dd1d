import type { KeyRecord } from '../stores/types.js';
import { canonicalJson } from './seal.js';
import type { AuditChange } from './types.js';

/** Bookkeeping and secret material: never part of `changes`. */
const SKIPPED = new Set(['id', 'hash', 'previousHash', 'version', 'createdAt', 'updatedAt']);
/** Record fields shown under their public (KeyInfo) name. */
const RENAMED: Readonly<Record<string, string>> = {
  previousHashExpiresAt: 'previousSecretExpiresAt',
};

/**
 * The fields that differ between two versions of a record, as `{ from, to }` (`null` for absent);
 * every field set on a new record when `before` is undefined. Never holds a hash: the hash fields
 * are skipped, and so is any field whose name mentions one (fields added to records later included).
 */
export function recordChanges(
  before: KeyRecord | undefined,
  after: KeyRecord,
): Record<string, AuditChange> | undefined {
  const changes: Record<string, AuditChange> = {};
  const previous = (before ?? {}) as unknown as Record<string, unknown>;
  const next = after as unknown as Record<string, unknown>;
  const fields = new Set([...Object.keys(previous), ...Object.keys(next)]);
  for (const field of [...fields].sort()) {
    if (SKIPPED.has(field) || /hash/i.test(RENAMED[field] ?? field)) continue;
    const from = previous[field] ?? null;
    const to = next[field] ?? null;
    if (canonicalJson(from) === canonicalJson(to)) continue;
    changes[RENAMED[field] ?? field] = { from: jsonCopy(from), to: jsonCopy(to) };
  }
  return Object.keys(changes).length === 0 ? undefined : changes;
}

function jsonCopy(value: unknown): unknown {
  return value === null || typeof value !== 'object' ? value : JSON.parse(JSON.stringify(value));
}
