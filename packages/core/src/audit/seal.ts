import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { AuditDraft, AuditRecord } from './types.js';

/** The `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * JSON with object keys sorted (by UTF-16 code units), no whitespace, `undefined` members left
 * out: the same bytes for the same data on every runtime and store (RFC 8785 for the values an
 * audit entry holds).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  const object = value as Record<string, unknown>;
  const members: string[] = [];
  for (const name of Object.keys(object).sort()) {
    const item = object[name];
    if (item === undefined || typeof item === 'function') continue;
    members.push(`${JSON.stringify(name)}:${canonicalJson(item)}`);
  }
  return `{${members.join(',')}}`;
}

/** The hashed fields of an entry, in the shape every store keeps (no `hash`, absent fields left out). */
function hashedFields(record: Omit<AuditRecord, 'hash'>): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    seq: record.seq,
    id: record.id,
    at: record.at,
    type: record.type,
    keyId: record.keyId,
    prevHash: record.prevHash,
  };
  if (record.actor != null) fields.actor = { type: record.actor.type, id: record.actor.id };
  if (record.reason != null) fields.reason = record.reason;
  if (record.changes != null) fields.changes = record.changes;
  return fields;
}

/**
 * The hex SHA-256 an entry should carry: over the canonical JSON of every field but `hash`
 * (including `prevHash`, which chains it to the entry before).
 *
 * @example
 * ```ts
 * const intact = auditRecordHash(record) === record.hash;
 * ```
 */
export function auditRecordHash(record: Omit<AuditRecord, 'hash'>): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(hashedFields(record)))));
}

/**
 * Seals a draft after `previous` (the chain's last entry; none for the first): assigns `seq`,
 * `prevHash` and `hash`. An entry's `at` is never earlier than its predecessor's (a host whose
 * clock runs behind gets the previous entry's time), so the trail is ordered by time as well as by
 * `seq`. Pure; every store uses it, so a chain is byte-identical whichever store holds it.
 *
 * @example
 * ```ts
 * const last = await readChainHead();            // { seq, hash, at } or undefined, under the store's lock
 * const record = sealAuditRecord(draft, last);
 * await insertRow(record);
 * ```
 */
export function sealAuditRecord(
  draft: AuditDraft,
  previous?: { readonly seq: number; readonly hash: string; readonly at?: number } | undefined,
): AuditRecord {
  const at = previous?.at !== undefined && previous.at > draft.at ? previous.at : draft.at;
  const unsealed: Omit<AuditRecord, 'hash'> = {
    seq: (previous?.seq ?? 0) + 1,
    id: draft.id,
    at,
    type: draft.type,
    keyId: draft.keyId,
    prevHash: previous?.hash ?? GENESIS_HASH,
  };
  if (draft.actor != null) unsealed.actor = { type: draft.actor.type, id: draft.actor.id };
  if (draft.reason != null) unsealed.reason = draft.reason;
  if (draft.changes != null) unsealed.changes = draft.changes;
  return { ...unsealed, hash: auditRecordHash(unsealed) };
}
