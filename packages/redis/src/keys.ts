import type { KeyEnvironment } from '@keyward/core';

/**
 * Redis key names. Each bucket and quota lives under its own `{hash tag}` (one key per script
 * call, so Redis Cluster spreads them over its shards); every key-store key shares the tag
 * `{<prefix>:keys}`, so the scripts that touch a record and its indexes stay in one slot.
 */
export class KeyNames {
  readonly #records: string;

  constructor(readonly prefix: string) {
    this.#records = `{${prefix}:keys}`;
  }

  bucket(name: string): string {
    return `${this.prefix}:{${name}}:tb`;
  }

  quota(name: string): string {
    return `${this.prefix}:{${name}}:q`;
  }

  record(id: string): string {
    return `${this.#records}:rec:${id}`;
  }

  /**
   * The sorted set (members scored 0, ordered by id) a listing with these filters reads. Every
   * key is in the `idx` sets; publishable keys are also in the `pk` sets of the same filters, so
   * listing them never reads the secret keys (a listing of secret keys reads the `idx` sets and
   * skips the few publishable ones).
   */
  index(
    ownerId: string | undefined,
    environment: KeyEnvironment | undefined,
    publishable = false,
  ): string {
    const base = `${this.#records}:${publishable ? 'pk' : 'idx'}`;
    if (ownerId === undefined) {
      return environment === undefined ? `${base}:all` : `${base}:env:${environment}`;
    }
    return environment === undefined
      ? `${base}:owner:${ownerId}`
      : `${base}:owner-env:${environment}:${ownerId}`;
  }

  /**
   * The audit trail's keys, in the key-store slot: the chain head (hash: seq, hash, at), the log
   * (hash: seq → entry JSON), the key's entries (sorted set of seqs) and the time index (sorted set
   * of zero-padded seqs scored by time).
   */
  audit(keyId: string): [head: string, log: string, byKey: string, byTime: string] {
    return [
      `${this.#records}:audit:head`,
      `${this.#records}:audit:log`,
      `${this.#records}:audit:key:${keyId}`,
      `${this.#records}:audit:at`,
    ];
  }

  /** Every index a record with this owner, environment and type belongs to. */
  indexesOf(
    ownerId: string | undefined,
    environment: KeyEnvironment,
    type: 'secret' | 'publishable' | undefined,
  ): string[] {
    const sets = (publishable: boolean) => {
      const all = [
        this.index(undefined, undefined, publishable),
        this.index(undefined, environment, publishable),
      ];
      if (ownerId !== undefined) {
        all.push(this.index(ownerId, undefined, publishable));
        all.push(this.index(ownerId, environment, publishable));
      }
      return all;
    };
    return type === 'publishable' ? [...sets(false), ...sets(true)] : sets(false);
  }
}
