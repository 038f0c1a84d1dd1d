/**
 * Base class of every error keyward throws from its management API. Narrow on `code`.
 *
 * @example
 * ```ts
 * try {
 *   await keyward.update(id, { ips: ['10.0.0.1/8'] });
 * } catch (err) {
 *   if (err instanceof KeywardError && err.code === 'invalid_options') console.error(err.message);
 * }
 * ```
 */
export class KeywardError extends Error {
  /** A stable, machine-readable code. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A key's options (scopes, IPs, referrers, limits, expiry…) were invalid at `create` or `update`.
 * The message names the bad entry.
 *
 * @example
 * ```ts
 * await keyward.create({ name: 'x', scopes: ['bad scope'] }); // throws InvalidOptionsError
 * ```
 */
export class InvalidOptionsError extends KeywardError {
  override readonly code = 'invalid_options' as const;
  constructor(message: string) {
    super('invalid_options', message);
  }
}

/**
 * No key has this id.
 *
 * @example
 * ```ts
 * await keyward.revoke('000000000000'); // throws KeyNotFoundError
 * ```
 */
export class KeyNotFoundError extends KeywardError {
  override readonly code = 'key_not_found' as const;
  constructor(readonly keyId: string) {
    super('key_not_found', `no key with id ${keyId}`);
  }
}

/**
 * The record changed between read and write (optimistic concurrency) and retrying did not help,
 * or the caller's `expectedVersion` was stale.
 *
 * @example
 * ```ts
 * await keyward.update(id, { name: 'new' }, { expectedVersion: 3 }); // throws if not at version 3
 * ```
 */
export class VersionConflictError extends KeywardError {
  override readonly code = 'version_conflict' as const;
  constructor(readonly keyId: string) {
    super('version_conflict', `key ${keyId} was changed concurrently`);
  }
}

/**
 * A key store refused an insert because the id exists. Thrown by stores' `insertKey`.
 *
 * @example
 * ```ts
 * throw new DuplicateKeyIdError(record.id);
 * ```
 */
export class DuplicateKeyIdError extends KeywardError {
  override readonly code = 'duplicate_key_id' as const;
  constructor(readonly keyId: string) {
    super('duplicate_key_id', `a key with id ${keyId} exists`);
  }
}

/**
 * A store failed or did not answer in time.
 *
 * @example
 * ```ts
 * if (err instanceof StoreUnavailableError) res.status(503);
 * ```
 */
export class StoreUnavailableError extends KeywardError {
  override readonly code = 'store_unavailable' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('store_unavailable', message, options);
  }
}
