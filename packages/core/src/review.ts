import { callStore } from './async.js';
import { InvalidOptionsError } from './errors.js';
import type { KeyRecord, KeyStore, MaybePromise } from './stores/types.js';

const DAY = 86_400_000;
const PAGE = 1000;

/**
 * What an access review can find about a key.
 *
 * @example
 * ```ts
 * const stale = (await keyward.review()).filter((f) => f.kind === 'unused' || f.kind === 'never_used');
 * ```
 */
export type ReviewFindingKind =
  | 'never_used'
  | 'unused'
  | 'rotation_overdue'
  | 'no_expiry'
  | 'wildcard_scope'
  | 'unrestricted'
  | 'publishable_without_origin';

/**
 * One finding of {@link Keyward.review}.
 *
 * @example
 * ```ts
 * for (const f of await keyward.review()) console.log(`${f.keyId} ${f.name}: ${f.kind} — ${f.detail}`);
 * ```
 */
export interface ReviewFinding {
  readonly keyId: string;
  readonly name: string;
  readonly ownerId?: string | undefined;
  readonly kind: ReviewFindingKind;
  readonly detail: string;
}

/**
 * The policy a review checks keys against.
 *
 * @example
 * ```ts
 * await keyward.review({ unusedDays: 30, rotateEveryDays: 180 });
 * ```
 */
export interface ReviewPolicy {
  /** A key not used for this many days is `unused` (`never_used` when it never was); default 90. */
  unusedDays?: number | undefined;
  /** A key whose secret is older than this many days is `rotation_overdue`; default 90. */
  rotateEveryDays?: number | undefined;
  /** The review's "today"; default keyward's clock. */
  now?: Date | number | undefined;
}

/**
 * Where a review reads when each key was last used (the usage store's `lastUsed`): ms since the
 * epoch per key id; an id missing from the map was never used.
 *
 * @example
 * ```ts
 * const source: LastUsedSource = { lastUsed: (ids) => new Map(ids.map((id) => [id, Date.now()])) };
 * ```
 */
export interface LastUsedSource {
  lastUsed(keyIds: readonly string[]): MaybePromise<ReadonlyMap<string, number>>;
}

function days(ms: number): number {
  return Math.floor(ms / DAY);
}

function positiveDays(value: unknown, option: string): number {
  if (value === undefined) return 90;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionsError(`${option} must be a positive number of days`);
  }
  return value;
}

/** The findings about one record at `now`; `lastUsed` undefined when usage is not known. */
function findings(
  record: KeyRecord,
  lastUsed: number | null | undefined,
  now: number,
  unusedMs: number,
  rotateMs: number,
): ReviewFinding[] {
  const out: ReviewFinding[] = [];
  const add = (kind: ReviewFindingKind, detail: string) => {
    const finding: { -readonly [K in keyof ReviewFinding]: ReviewFinding[K] } = {
      keyId: record.id,
      name: record.name,
      kind,
      detail,
    };
    if (record.ownerId != null) finding.ownerId = record.ownerId;
    out.push(Object.freeze(finding));
  };
  const age = now - record.createdAt;
  if (lastUsed === undefined) {
    if (age >= unusedMs) {
      add('unused', `usage unknown: no usage store is configured; created ${days(age)} days ago`);
    }
  } else if (lastUsed === null) {
    if (age >= unusedMs) add('never_used', `never used; created ${days(age)} days ago`);
  } else if (now - lastUsed >= unusedMs) {
    add(
      'unused',
      `last used ${new Date(lastUsed).toISOString()}, ${days(now - lastUsed)} days ago`,
    );
  }
  const secretAge = now - (record.rotatedAt ?? record.createdAt);
  if (secretAge >= rotateMs) {
    const since = record.rotatedAt == null ? 'created' : 'last rotated';
    add(
      'rotation_overdue',
      `${since} ${days(secretAge)} days ago (policy: every ${days(rotateMs)} days)`,
    );
  }
  if (record.expiresAt == null) add('no_expiry', 'never expires');
  const wildcards = (record.scopes ?? []).filter((s) => s === '*' || s.endsWith(':*'));
  if (wildcards.length > 0) add('wildcard_scope', `grants ${wildcards.join(', ')}`);
  const publishable = record.type === 'publishable';
  const none = (list: readonly string[] | undefined) => list == null || list.length === 0;
  if (
    !publishable &&
    record.environment === 'live' &&
    none(record.ips) &&
    none(record.referrers) &&
    none(record.routes)
  ) {
    add('unrestricted', 'a live secret key with no IP, referrer or route restriction');
  }
  if (publishable && none(record.referrers)) {
    add('publishable_without_origin', 'a publishable key with no origin or referrer restriction');
  }
  return out;
}

/**
 * Reviews every key that can still be used (not revoked, not expired), page by page: one
 * batched `lastUsed` read per page when usage is known.
 */
export async function reviewKeys(
  keyStore: KeyStore,
  usage: LastUsedSource | undefined,
  policy: ReviewPolicy,
  clock: () => number,
  storeTimeoutMs: number,
): Promise<ReviewFinding[]> {
  if (typeof policy !== 'object' || policy === null) {
    throw new InvalidOptionsError('review() takes a policy object');
  }
  const unusedMs = positiveDays(policy.unusedDays, 'unusedDays') * DAY;
  const rotateMs = positiveDays(policy.rotateEveryDays, 'rotateEveryDays') * DAY;
  const given = policy.now instanceof Date ? policy.now.getTime() : policy.now;
  if (given !== undefined && (typeof given !== 'number' || !Number.isFinite(given))) {
    throw new InvalidOptionsError('now must be a Date or a number of ms since the epoch');
  }
  const now = given ?? clock();
  const out: ReviewFinding[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1_000_000; pages++) {
    const page = await callStore(
      () => keyStore.listKeys({ limit: PAGE, cursor }),
      storeTimeoutMs,
      'key store',
    );
    // Keys that can still be used, or be enabled again: not revoked, not expired (whether disabled
    // or not: a status would say `disabled` first, and a disabled, expired key is done for).
    const live = page.items.filter(
      (r) => r.revokedAt == null && (r.expiresAt == null || r.expiresAt > now),
    );
    const used =
      usage === undefined || live.length === 0
        ? undefined
        : await callStore(
            () => usage.lastUsed(live.map((r) => r.id)),
            storeTimeoutMs,
            'usage store',
          );
    for (const record of live) {
      const lastUsed = used === undefined ? undefined : (used.get(record.id) ?? null);
      out.push(...findings(record, lastUsed, now, unusedMs, rotateMs));
    }
    cursor = page.cursor ?? undefined;
    if (cursor === undefined) break;
  }
  return out;
}
