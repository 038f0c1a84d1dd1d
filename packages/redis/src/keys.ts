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

  /** The sorted set (members scored 0, ordered by id) a listing with these filters reads. */
  index(ownerId: string | undefined, environment: KeyEnvironment | undefined): string {
    if (ownerId === undefined) {
      return environment === undefined
        ? `${this.#records}:idx:all`
        : `${this.#records}:idx:env:${environment}`;
    }
    return environment === undefined
      ? `${this.#records}:idx:owner:${ownerId}`
      : `${this.#records}:idx:owner-env:${environment}:${ownerId}`;
  }

  /** Every index a record with this owner and environment belongs to. */
  indexesOf(ownerId: string | undefined, environment: KeyEnvironment): string[] {
    const all = [this.index(undefined, undefined), this.index(undefined, environment)];
    if (ownerId !== undefined)
      all.push(this.index(ownerId, undefined), this.index(ownerId, environment));
    return all;
  }
}
