import { auditRecordHash, GENESIS_HASH } from './seal.js';
import type { AuditRecord } from './types.js';

/** The entry's hash, or undefined when a hand-edited entry cannot even be serialised. */
function hashOf(record: AuditRecord): string | undefined {
  try {
    return auditRecordHash(record);
  } catch {
    return undefined;
  }
}

/**
 * Walks a trail in `seq` order and finds the first place it breaks: a missing or out-of-order
 * `seq`, a `prevHash` that is not the previous entry's hash, or a hash that does not match the
 * entry's content.
 */
export class AuditChainCheck {
  #expected = 1;
  #previousHash = GENESIS_HASH;
  #last: AuditRecord | undefined;

  /** Checks the next entry; returns the `seq` at which the chain breaks, or undefined. */
  next(record: AuditRecord): number | undefined {
    const expected = this.#expected;
    if (
      record.seq !== expected ||
      record.prevHash !== this.#previousHash ||
      hashOf(record) !== record.hash
    ) {
      return expected;
    }
    this.#previousHash = record.hash;
    this.#expected = expected + 1;
    this.#last = record;
    return undefined;
  }

  /** How many entries checked out. */
  get count(): number {
    return this.#expected - 1;
  }

  /** The last entry that checked out. */
  get head(): { seq: number; hash: string } | undefined {
    return this.#last === undefined ? undefined : { seq: this.#last.seq, hash: this.#last.hash };
  }
}
