import type { KeyRecord } from '../stores/types.js';
import { randomId } from './random-id.js';

/** A stored key record for the suites: a fresh random id, `overrides` on top. */
export function sampleRecord(overrides: Partial<KeyRecord> = {}): KeyRecord {
  const now = Date.now();
  return {
    id: randomId(),
    environment: 'test',
    name: 'conformance',
    hash: 'sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
    scopes: ['invoices:read'],
    disabled: false,
    createdAt: now,
    updatedAt: now,
    version: 1,
    ...overrides,
  };
}
