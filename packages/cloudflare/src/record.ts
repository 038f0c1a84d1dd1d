import { type KeyRecord, StoreUnavailableError } from '@keyward/core';

/**
 * Whether `value` has the fields a store indexes and compares: the id, version, environment and
 * owner. The rest of a record is keyward's, written and read back whole.
 */
export function isRecord(value: unknown): value is KeyRecord {
  const record = value as Partial<KeyRecord> | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    !Array.isArray(record) &&
    typeof record.id === 'string' &&
    record.id.length > 0 &&
    Number.isSafeInteger(record.version) &&
    typeof record.environment === 'string' &&
    typeof record.hash === 'string' &&
    (record.ownerId === undefined || typeof record.ownerId === 'string')
  );
}

/**
 * A stored record read back. Text that is not such a record (written by something else, or
 * damaged) fails the read with `store_unavailable` rather than pass as a key; the message never
 * quotes the text, which would hold the hash.
 */
export function parseRecord(text: string, id: string): KeyRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!isRecord(value) || value.id !== id) {
    throw new StoreUnavailableError(`the stored record of key ${id} is not a keyward record`);
  }
  return value;
}
