import { callStore } from './async.js';
import type { AuditTrail } from './audit/audit-trail.js';
import { recordChanges } from './audit/changes.js';
import type { AuditContext, AuditDraft, AuditEventType } from './audit/types.js';
import {
  InvalidOptionsError,
  KeyNotFoundError,
  KeywardError,
  VersionConflictError,
} from './errors.js';
import { randomBase62 } from './key/base62.js';
import {
  formatKey,
  isEnvironmentName,
  KEY_ID_PATTERN,
  type KeyEnvironment,
  type KeyType,
  newKeyId,
  newSecret,
} from './key/format.js';
import type { SecretHasher } from './key/hash.js';
import { toKeyInfo } from './key-info.js';
import { validateQuota } from './limits/quota.js';
import { type RateLimit, validateRateLimit } from './limits/token-bucket.js';
import { rejectUnknownOptions } from './option-names.js';
import { compileIpAllowList } from './policy/ip-allow-list.js';
import { compileReferrerAllowList } from './policy/referrer.js';
import { compileRouteAllowList } from './policy/routes.js';
import { type GrantedScopes, scopesOutside, validateGrantedScopes } from './policy/scopes.js';
import type { RecordCache } from './record-cache.js';
import { KEY_STATUSES, MAX_KEY_SEARCH_LENGTH } from './stores/key-list-filter.js';
import type { InvalidationChannel, KeyListQuery, KeyRecord, KeyStore } from './stores/types.js';
import type {
  CreateKeyOptions,
  KeyInfo,
  KeywardEvent,
  ListKeysOptions,
  UpdateKeyOptions,
} from './types.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
const MAX_METADATA_BYTES = 16 * 1024;
const MAX_ATTEMPTS = 5;

/**
 * A newly issued key: `key` is the full secret key, shown once. It is not enumerable, and
 * `util.inspect`, `JSON.stringify` and `String()` show only the redacted form, so logging the
 * result by accident leaks nothing.
 *
 * @example
 * ```ts
 * const { key, record } = await keyward.create({ name: 'ci', scopes: ['invoices:read'] });
 * console.log(key);    // the only time the full key is available
 * console.log(record); // KeyInfo, no secret
 * ```
 */
export class IssuedKey {
  declare readonly key: string;
  readonly record: KeyInfo;

  constructor(key: string, record: KeyInfo) {
    Object.defineProperty(this, 'key', { value: key, enumerable: false });
    this.record = record;
  }

  toJSON(): { key: string; record: KeyInfo } {
    return { key: this.record.redacted, record: this.record };
  }

  toString(): string {
    return this.record.redacted;
  }

  [INSPECT](): { key: string; record: KeyInfo } {
    return this.toJSON();
  }
}

export interface LifecycleConfig {
  readonly prefix: string;
  readonly environments: readonly KeyEnvironment[];
  readonly keyStore: KeyStore;
  readonly hasher: SecretHasher;
  readonly cache: RecordCache;
  readonly invalidation: InvalidationChannel | undefined;
  readonly storeTimeoutMs: number;
  readonly clock: () => number;
  readonly emit: (event: KeywardEvent) => void;
  readonly audit: AuditTrail | undefined;
  /** The scopes a publishable key may hold, as given and compiled. */
  readonly publishableScopes: { readonly list: readonly string[]; readonly granted: GrantedScopes };
  /** The rate limit a publishable key gets when it names none. */
  readonly publishableRateLimit: RateLimit;
}

const invalid = (message: string) => new InvalidOptionsError(message);
const RESTRICTION_NAMES = [
  'scopes',
  'ips',
  'referrers',
  'routes',
  'rateLimit',
  'quota',
  'expiresAt',
  'metadata',
];
const CREATE_OPTION_NAMES: ReadonlySet<string> = new Set([
  'name',
  'environment',
  'type',
  'ownerId',
  ...RESTRICTION_NAMES,
  'actor',
  'reason',
]);
const UPDATE_FIELD_NAMES: ReadonlySet<string> = new Set(['name', ...RESTRICTION_NAMES, 'disabled']);
const MUTATE_OPTION_NAMES: ReadonlySet<string> = new Set(['expectedVersion', 'actor', 'reason']);
const ROTATE_OPTION_NAMES: ReadonlySet<string> = new Set(['gracePeriodMs', 'actor', 'reason']);
const AUDIT_OPTION_NAMES: ReadonlySet<string> = new Set(['actor', 'reason']);
const LIST_OPTION_NAMES: ReadonlySet<string> = new Set([
  'ownerId',
  'environment',
  'type',
  'status',
  'search',
  'limit',
  'cursor',
]);

/** Checks a management call's options object: an object, and no unknown names. */
function checkOptionsObject(options: unknown, names: ReadonlySet<string>, where: string): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionsError(`${where} takes an options object`);
  }
  rejectUnknownOptions(options, names, where, invalid);
}

/** Text every store can hold as it is: no NUL, no lone UTF-16 surrogate. */
function isStorableText(value: string): boolean {
  if (value.includes('\u0000')) return false;
  const wellFormed = (value as { isWellFormed?: () => boolean }).isWellFormed;
  return wellFormed === undefined || wellFormed.call(value);
}

/**
 * C0 controls, DEL and C1 controls (Unicode category Cc). A name, owner or reason holding one
 * could carry terminal escape sequences to whoever lists keys, so they are refused.
 */
const CONTROL_CHARACTER = /\p{Cc}/u;

/** In JSON text: an escaped NUL or lone surrogate (JSON.stringify escapes both). */
const UNSTORABLE_JSON = /(?<!\\)\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

function optionalString(value: unknown, option: string, max = 200): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new InvalidOptionsError(
      `${option} must be a non-empty string of at most ${max} characters`,
    );
  }
  if (CONTROL_CHARACTER.test(value)) {
    throw new InvalidOptionsError(
      `${option} must not contain control characters (U+0000–U+001F, U+007F–U+009F)`,
    );
  }
  if (!isStorableText(value)) {
    throw new InvalidOptionsError(`${option} must not contain unpaired surrogates`);
  }
  return value;
}

const ACTOR_TYPES: ReadonlySet<unknown> = new Set(['user', 'service', 'cli', 'console']);

/** Checks the `actor` and `reason` of a management call. */
function auditContext(options: AuditContext): AuditContext {
  const context: AuditContext = {};
  const actor = options.actor as unknown;
  if (actor !== undefined) {
    const { type, id } = (actor ?? {}) as { type?: unknown; id?: unknown };
    if (typeof actor !== 'object' || actor === null || !ACTOR_TYPES.has(type)) {
      throw new InvalidOptionsError(
        'actor must be { type: "user" | "service" | "cli" | "console", id }',
      );
    }
    context.actor = { type: type as 'user', id: optionalString(id, 'actor.id') ?? '' };
    if (context.actor.id === '') throw new InvalidOptionsError('actor.id is required');
  }
  const reason = optionalString(options.reason, 'reason', 500);
  if (reason !== undefined) context.reason = reason;
  return context;
}

/** The audit entry of a change, before the store seals it into the chain. */
function auditDraft(
  type: AuditEventType,
  before: KeyRecord | undefined,
  after: KeyRecord,
  now: number,
  context: AuditContext,
): AuditDraft {
  const draft: AuditDraft = { id: `aud_${randomBase62(20)}`, at: now, type, keyId: after.id };
  if (context.actor !== undefined) draft.actor = context.actor;
  if (context.reason !== undefined) draft.reason = context.reason;
  const changes = recordChanges(before, after);
  if (changes !== undefined) draft.changes = changes;
  return draft;
}

function toTime(value: unknown, option: string, now: number): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new InvalidOptionsError(`${option} must be a Date or a number of ms since the epoch`);
  }
  if (ms <= now) throw new InvalidOptionsError(`${option} is not in the future`);
  return Math.ceil(ms);
}

function checkMetadata(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionsError('metadata must be a plain object');
  }
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    throw new InvalidOptionsError('metadata must be JSON-serialisable');
  }
  if (UNSTORABLE_JSON.test(json)) {
    throw new InvalidOptionsError('metadata must not contain NUL or unpaired surrogates');
  }
  if (json.length > MAX_METADATA_BYTES) {
    throw new InvalidOptionsError(`metadata must serialise to at most ${MAX_METADATA_BYTES} bytes`);
  }
  return JSON.parse(json) as Record<string, unknown>;
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || !KEY_ID_PATTERN.test(id)) {
    // Never echo the value: callers sometimes pass the full key, whose secret must not leak.
    const what = typeof id === 'string' ? `a ${id.length}-character string` : typeof id;
    throw new InvalidOptionsError(`expected a key id (12 base62 characters), got ${what}`);
  }
  return id;
}

/** Applies the restriction fields shared by create and update; validates each. */
function applyRestrictions(
  record: KeyRecord,
  options: CreateKeyOptions | UpdateKeyOptions,
  now: number,
  changed: string[],
): void {
  if (options.scopes !== undefined) {
    record.scopes = validateGrantedScopes(options.scopes);
    changed.push('scopes');
  }
  if (options.ips !== undefined) {
    record.ips = options.ips === null ? undefined : [...compileIpAllowList(options.ips).entries];
    changed.push('ips');
  }
  if (options.referrers !== undefined) {
    record.referrers =
      options.referrers === null
        ? undefined
        : [...compileReferrerAllowList(options.referrers).entries];
    changed.push('referrers');
  }
  if (options.routes !== undefined) {
    const routes =
      options.routes === null ? [] : [...compileRouteAllowList(options.routes).entries];
    record.routes = routes.length === 0 ? undefined : routes;
    changed.push('routes');
  }
  if (options.rateLimit !== undefined) {
    record.rateLimit =
      options.rateLimit === null ? undefined : validateRateLimit(options.rateLimit);
    changed.push('rateLimit');
  }
  if (options.quota !== undefined) {
    record.quota = options.quota === null ? undefined : validateQuota(options.quota);
    changed.push('quota');
  }
  if (options.expiresAt !== undefined) {
    record.expiresAt =
      options.expiresAt === null ? undefined : toTime(options.expiresAt, 'expiresAt', now);
    changed.push('expiresAt');
  }
  if (options.metadata !== undefined) {
    record.metadata = options.metadata === null ? undefined : checkMetadata(options.metadata);
    changed.push('metadata');
  }
}

function stripUndefined(record: KeyRecord): KeyRecord {
  for (const field of Object.keys(record) as (keyof KeyRecord)[]) {
    if (record[field] === undefined) delete record[field];
  }
  return record;
}

/** Issuing and managing keys: create, rotate, revoke, update, get and list. */
export class KeyLifecycle {
  constructor(private readonly config: LifecycleConfig) {}

  async create(options: CreateKeyOptions): Promise<IssuedKey> {
    const { prefix, hasher, clock, keyStore, storeTimeoutMs } = this.config;
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionsError('create() needs an options object with a name');
    }
    rejectUnknownOptions(options, CREATE_OPTION_NAMES, 'create()', invalid);
    const name = optionalString(options.name, 'name');
    if (name === undefined) throw new InvalidOptionsError('name is required');
    const environment = options.environment ?? this.config.environments[0]!;
    if (!isEnvironmentName(environment)) {
      throw new InvalidOptionsError(
        `environment must match [a-z][a-z0-9]{1,7} and not be "pk", not ${JSON.stringify(String(environment).slice(0, 40))}`,
      );
    }
    const type: KeyType = options.type ?? 'secret';
    if (type !== 'secret' && type !== 'publishable') {
      throw new InvalidOptionsError(
        `type must be "secret" or "publishable", not ${JSON.stringify(String(type).slice(0, 40))}`,
      );
    }
    const now = clock();
    const secret = newSecret();
    const record: KeyRecord = {
      id: '',
      environment,
      type,
      name,
      hash: hasher.hashForStorage(secret),
      scopes: [],
      disabled: false,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    const ownerId = optionalString(options.ownerId, 'ownerId');
    if (ownerId !== undefined) record.ownerId = ownerId;
    applyRestrictions(record, options, now, []);
    if (type === 'publishable') {
      record.rateLimit ??= { ...this.config.publishableRateLimit };
      this.#checkPublishable(record);
    }
    stripUndefined(record);
    const { audit } = this.config;
    const context = auditContext(options);
    let draft: AuditDraft | undefined;
    for (let attempt = 1; ; attempt++) {
      record.id = newKeyId();
      draft = audit && auditDraft('key.created', undefined, record, now, context);
      const travelling = audit?.inKeyStore ? draft : undefined;
      try {
        await callStore(() => keyStore.insertKey(record, travelling), storeTimeoutMs, 'key store');
        break;
      } catch (error) {
        const duplicate = (error as { code?: unknown } | null)?.code === 'duplicate_key_id';
        if (!duplicate || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
    this.config.cache.invalidate(record.id);
    if (audit !== undefined && !audit.inKeyStore && draft !== undefined) await audit.append(draft);
    this.config.emit({
      type: 'key.created',
      at: new Date(now),
      keyId: record.id,
      environment,
      ownerId: record.ownerId,
    });
    return new IssuedKey(
      formatKey(prefix, environment, record.id, secret, type),
      toKeyInfo(prefix, record),
    );
  }

  /** A publishable key's rules: referrers, scopes within `publishableScopes`, a rate limit. */
  #checkPublishable(record: KeyRecord): void {
    if (record.referrers == null || record.referrers.length === 0) {
      throw new InvalidOptionsError(
        'referrers: a publishable key needs at least one origin/referrer pattern (it sits in browser code)',
      );
    }
    if (record.rateLimit == null) {
      throw new InvalidOptionsError('rateLimit: a publishable key always has a rate limit');
    }
    const { list, granted } = this.config.publishableScopes;
    const outside = scopesOutside(granted, record.scopes);
    if (outside.length > 0) {
      const allowed = list.length === 0 ? 'none (publishableScopes is empty)' : list.join(', ');
      throw new InvalidOptionsError(
        `scopes: ${outside.map((s) => JSON.stringify(s)).join(', ')} not allowed on a publishable key (publishableScopes: ${allowed})`,
      );
    }
  }

  async rotate(
    id: string,
    options: { gracePeriodMs?: number } & AuditContext = {},
  ): Promise<IssuedKey> {
    checkOptionsObject(options, ROTATE_OPTION_NAMES, 'rotate()');
    const grace = options.gracePeriodMs ?? 0;
    if (typeof grace !== 'number' || !Number.isFinite(grace) || grace < 0) {
      throw new InvalidOptionsError('gracePeriodMs must be a non-negative number');
    }
    const secret = newSecret();
    const hash = this.config.hasher.hashForStorage(secret);
    const audited = { type: 'key.rotated', context: auditContext(options) } as const;
    const record = await this.#mutate(id, undefined, audited, (draft, now) => {
      if (draft.revokedAt != null) {
        throw new KeywardError('key_revoked', `key ${id} is revoked and cannot be rotated`);
      }
      const graceEnds = Math.ceil(now + grace);
      const keepOld = grace > 0 && (draft.expiresAt == null || draft.expiresAt > now);
      draft.previousHash = keepOld ? draft.hash : undefined;
      draft.previousHashExpiresAt = keepOld ? graceEnds : undefined;
      draft.hash = hash;
      draft.rotatedAt = now;
    });
    const info = toKeyInfo(this.config.prefix, record);
    this.config.emit({
      type: 'key.rotated',
      at: new Date(record.updatedAt),
      keyId: record.id,
      previousSecretExpiresAt: info.previousSecretExpiresAt,
    });
    return new IssuedKey(
      formatKey(this.config.prefix, record.environment, record.id, secret, record.type),
      info,
    );
  }

  async revoke(id: string, options: AuditContext = {}): Promise<KeyInfo> {
    checkOptionsObject(options, AUDIT_OPTION_NAMES, 'revoke()');
    const reason = optionalString(options.reason, 'reason', 500);
    const audited = { type: 'key.revoked', context: auditContext(options) } as const;
    const record = await this.#mutate(id, undefined, audited, (draft, now) => {
      if (draft.revokedAt == null) draft.revokedAt = now;
      if (reason !== undefined) draft.revokedReason = reason;
      draft.previousHash = undefined;
      draft.previousHashExpiresAt = undefined;
    });
    this.config.emit({ type: 'key.revoked', at: new Date(record.updatedAt), keyId: id, reason });
    return toKeyInfo(this.config.prefix, record);
  }

  async update(
    id: string,
    changes: UpdateKeyOptions,
    options: { expectedVersion?: number } & AuditContext = {},
  ): Promise<KeyInfo> {
    if (typeof changes !== 'object' || changes === null) {
      throw new InvalidOptionsError('update() needs an object of changes');
    }
    if (Object.hasOwn(changes, 'type') || Object.hasOwn(changes, 'environment')) {
      throw new InvalidOptionsError(
        "update(): a key's type and environment are part of the key itself and cannot change; create a new key",
      );
    }
    rejectUnknownOptions(changes, UPDATE_FIELD_NAMES, 'update()', invalid);
    checkOptionsObject(options, MUTATE_OPTION_NAMES, 'update() options');
    const changed: string[] = [];
    const audited = { type: 'key.updated', context: auditContext(options) } as const;
    const record = await this.#mutate(id, options.expectedVersion, audited, (draft, now) => {
      changed.length = 0;
      if (changes.name !== undefined) {
        draft.name = optionalString(changes.name, 'name')!;
        changed.push('name');
      }
      if (changes.disabled !== undefined) {
        if (typeof changes.disabled !== 'boolean') {
          throw new InvalidOptionsError('disabled must be a boolean');
        }
        draft.disabled = changes.disabled;
        changed.push('disabled');
      }
      applyRestrictions(draft, changes, now, changed);
      if (draft.type === 'publishable') this.#checkPublishable(draft);
    });
    this.config.emit({
      type: 'key.updated',
      at: new Date(record.updatedAt),
      keyId: id,
      fields: [...changed],
    });
    return toKeyInfo(this.config.prefix, record);
  }

  /** Disables (`disabled: true`) or enables a key, recorded as `key.disabled` / `key.enabled`. */
  async setDisabled(
    id: string,
    disabled: boolean,
    options: { expectedVersion?: number } & AuditContext = {},
  ): Promise<KeyInfo> {
    checkOptionsObject(options, MUTATE_OPTION_NAMES, `${disabled ? 'disable' : 'enable'}()`);
    const audited = {
      type: disabled ? 'key.disabled' : 'key.enabled',
      context: auditContext(options),
    } as const;
    const record = await this.#mutate(id, options.expectedVersion, audited, (draft) => {
      draft.disabled = disabled;
    });
    this.config.emit({
      type: 'key.updated',
      at: new Date(record.updatedAt),
      keyId: id,
      fields: ['disabled'],
    });
    return toKeyInfo(this.config.prefix, record);
  }

  async get(id: string): Promise<KeyInfo | undefined> {
    if (typeof id !== 'string' || !KEY_ID_PATTERN.test(id)) return undefined;
    const { keyStore, storeTimeoutMs, prefix } = this.config;
    const record = await callStore(() => keyStore.getKey(id), storeTimeoutMs, 'key store');
    return record == null ? undefined : toKeyInfo(prefix, record);
  }

  async list(options: ListKeysOptions = {}): Promise<{ items: KeyInfo[]; cursor?: string }> {
    checkOptionsObject(options, LIST_OPTION_NAMES, 'list()');
    const limit = options.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      throw new InvalidOptionsError('limit must be an integer from 1 to 1000');
    }
    if (options.environment !== undefined && !isEnvironmentName(options.environment)) {
      throw new InvalidOptionsError('environment must match [a-z][a-z0-9]{1,7} and not be "pk"');
    }
    const type = options.type;
    if (type !== undefined && type !== 'secret' && type !== 'publishable') {
      throw new InvalidOptionsError('type must be "secret" or "publishable"');
    }
    const { status, search } = options;
    if (status !== undefined && !KEY_STATUSES.includes(status)) {
      throw new InvalidOptionsError(`status must be one of ${KEY_STATUSES.join(', ')}`);
    }
    // '' (an empty search box) filters nothing; anything else is checked like a name.
    if (search !== '') optionalString(search, 'search', MAX_KEY_SEARCH_LENGTH);
    const { keyStore, storeTimeoutMs, prefix, clock } = this.config;
    const query: KeyListQuery = {
      limit,
      ownerId: options.ownerId,
      environment: options.environment,
      cursor: options.cursor,
    };
    if (type !== undefined) query.type = type;
    if (status !== undefined) {
      query.status = status;
      query.now = clock();
    }
    if (search !== undefined && search !== '') query.search = search;
    const page = await callStore(() => keyStore.listKeys(query), storeTimeoutMs, 'key store');
    const items = page.items.map((record) => toKeyInfo(prefix, record));
    return page.cursor == null ? { items } : { items, cursor: page.cursor };
  }

  /**
   * Read, change, write with optimistic concurrency. Retries on a concurrent change unless the
   * caller pinned `expectedVersion`. Drops the cached record here and, over the invalidation
   * channel, everywhere.
   */
  async #mutate(
    id: string,
    expectedVersion: number | undefined,
    audited: { readonly type: AuditEventType; readonly context: AuditContext },
    change: (draft: KeyRecord, now: number) => void,
  ): Promise<KeyRecord> {
    checkId(id);
    const { keyStore, storeTimeoutMs, clock, cache, invalidation, audit } = this.config;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const stored = await callStore(() => keyStore.getKey(id), storeTimeoutMs, 'key store');
      if (stored == null) throw new KeyNotFoundError(id);
      if (expectedVersion !== undefined && stored.version !== expectedVersion) {
        throw new VersionConflictError(id);
      }
      const now = clock();
      const draft: KeyRecord = structuredClone(stored);
      change(draft, now);
      draft.version = stored.version + 1;
      draft.updatedAt = Math.max(now, stored.updatedAt);
      stripUndefined(draft);
      const entry = audit && auditDraft(audited.type, stored, draft, now, audited.context);
      const travelling = audit?.inKeyStore ? entry : undefined;
      const written = await callStore(
        () => keyStore.updateKey(draft, stored.version, travelling),
        storeTimeoutMs,
        'key store',
      );
      if (written) {
        cache.invalidate(id);
        if (invalidation !== undefined) {
          try {
            await callStore(
              () => invalidation.publishInvalidation(id),
              storeTimeoutMs,
              'invalidation',
            );
          } catch {
            // Other processes fall back to the cache TTL; the change itself is stored.
          }
        }
        if (audit !== undefined && !audit.inKeyStore && entry !== undefined) {
          await audit.append(entry);
        }
        return draft;
      }
      if (expectedVersion !== undefined) break;
    }
    throw new VersionConflictError(id);
  }
}
