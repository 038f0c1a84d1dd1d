import type { Quota } from '../limits/quota.js';
import type { LimitResult, RateLimit } from '../limits/token-bucket.js';

const PERIOD_SECONDS = { minute: 60, hour: 3600, day: 86_400, month: 2_592_000 } as const;

function seconds(ms: number): number {
  return ms <= 0 ? 0 : Math.ceil(ms / 1000);
}

/**
 * The `RateLimit-Policy` items for a key's limits (`"key"`, `"quota"`), or under other names (an
 * owner's: `"owner"`, `"owner-quota"`); static per key or owner, so compiled once.
 */
export function rateLimitPolicy(
  rateLimit: RateLimit | undefined,
  quota: Quota | undefined,
  names: readonly [bucket: string, quota: string] = ['"key"', '"quota"'],
): { key: string | undefined; quota: string | undefined } {
  return {
    key:
      rateLimit === undefined
        ? undefined
        : `${names[0]};q=${rateLimit.capacity};w=${Math.ceil(rateLimit.capacity / rateLimit.refillPerSecond)}`,
    quota:
      quota === undefined
        ? undefined
        : `${names[1]};q=${quota.limit};w=${PERIOD_SECONDS[quota.period]}`,
  };
}

type Policy = { readonly key: string | undefined; readonly quota: string | undefined };

/** Seconds until one token is available: derived from the time to refill fully. */
function bucketResetSeconds(rateLimit: RateLimit, bucket: LimitResult): number {
  const untilToken = !bucket.allowed
    ? bucket.retryAfterMs
    : bucket.remaining > 0
      ? 0
      : bucket.resetMs - ((rateLimit.capacity - 1) * 1000) / rateLimit.refillPerSecond;
  return seconds(untilToken);
}

/** Seconds until the window resets for an exhausted quota, else 0. */
function quotaResetSeconds(window: LimitResult): number {
  return !window.allowed || window.remaining <= 0 ? seconds(window.resetMs) : 0;
}

const ZEROS = '000000000';

/**
 * `String(count)`, faster for whole counts of 2^31 and more: V8 formats those through its
 * double-to-string path (~260 ns each on the bench machine), so they are built from two halves
 * below 10^9 instead (~100 ns). Same digits for every safe integer (and the plain conversion for
 * anything else).
 */
export function formatCount(count: number): string {
  if (count < 0x80000000 || !Number.isSafeInteger(count)) return `${count}`;
  const high = Math.floor(count / 1e9);
  const low = `${count - high * 1e9}`;
  return `${high}${ZEROS.slice(low.length)}${low}`;
}

/**
 * The `RateLimit` field values built lately, in a small direct-mapped table keyed by the four
 * numbers they show: a busy key (many requests per clock tick, each taking one token) cycles
 * through a few `remaining` values, and reusing their strings spares formatting a number (a count
 * past 2³¹ is not a small integer) and building a new string per response, which Node's header
 * validation would then flatten again. One table for keys' items (`"key"`, `"quota"`) and one for
 * owners' (`"owner"`, `"owner-quota"`), each shared by every key or owner (an item names its
 * limit, never a key or owner); 1024 strings at most in each.
 */
class StateTexts {
  static readonly SLOTS = 1024;
  readonly #numbers = new Float64Array(StateTexts.SLOTS * 4).fill(-3);
  readonly #texts: string[] = new Array<string>(StateTexts.SLOTS).fill('');

  constructor(
    private readonly bucketItem: string,
    private readonly quotaItem: string,
  ) {}

  /** The items for a bucket and a quota state (a remaining count of -1: that limit is absent). */
  text(bucketRemaining: number, bucketReset: number, quotaRemaining: number, quotaReset: number) {
    // ToInt32 keeps an integer's low 32 bits, so this is the count modulo 1024 for any safe integer.
    const slot = (bucketRemaining ^ (quotaRemaining * 31)) & (StateTexts.SLOTS - 1);
    const at = slot * 4;
    const numbers = this.#numbers;
    if (
      numbers[at] === bucketRemaining &&
      numbers[at + 1] === bucketReset &&
      numbers[at + 2] === quotaRemaining &&
      numbers[at + 3] === quotaReset
    ) {
      return this.#texts[slot]!;
    }
    let text: string;
    if (bucketRemaining >= 0) {
      text = `${this.bucketItem};r=${formatCount(bucketRemaining)};t=${bucketReset}`;
      if (quotaRemaining >= 0) {
        text = `${text}, ${this.quotaItem};r=${formatCount(quotaRemaining)};t=${quotaReset}`;
      }
    } else {
      text = `${this.quotaItem};r=${formatCount(quotaRemaining)};t=${quotaReset}`;
    }
    numbers[at] = bucketRemaining;
    numbers[at + 1] = bucketReset;
    numbers[at + 2] = quotaRemaining;
    numbers[at + 3] = quotaReset;
    this.#texts[slot] = text;
    return text;
  }
}

const KEY_STATES = new StateTexts('"key"', '"quota"');
const OWNER_STATES = new StateTexts('"owner"', '"owner-quota"');

/** The two header values for a key's state; `{}` when it has neither bucket nor quota. */
function formatHeaders(
  policy: Policy,
  bucketRemaining: number,
  bucketReset: number,
  quotaRemaining: number,
  quotaReset: number,
): Record<string, string> {
  if (bucketRemaining < 0 && quotaRemaining < 0) return {};
  let policies: string | undefined;
  if (bucketRemaining >= 0) {
    policies = quotaRemaining >= 0 ? `${policy.key}, ${policy.quota}` : policy.key;
  } else {
    policies = policy.quota;
  }
  if (policies === undefined) return {};
  return {
    'ratelimit-policy': policies,
    ratelimit: KEY_STATES.text(bucketRemaining, bucketReset, quotaRemaining, quotaReset),
  };
}

export function rateLimitHeaders(
  rateLimit: RateLimit | undefined,
  bucket: LimitResult | undefined,
  quota: Quota | undefined,
  window: LimitResult | undefined,
  policy: Policy = rateLimitPolicy(rateLimit, quota),
): Record<string, string> {
  return successRateLimitHeaders(newHeaderMemo(), rateLimit, bucket, quota, window, policy);
}

/** The last success header values of one key and the numbers they were made from. */
export interface HeaderMemo {
  bucketRemaining: number;
  bucketReset: number;
  quotaRemaining: number;
  quotaReset: number;
  policies: string | undefined;
  states: string | undefined;
}

/** A memo that matches nothing yet. */
export function newHeaderMemo(): HeaderMemo {
  return {
    bucketRemaining: -2,
    bucketReset: -2,
    quotaRemaining: -2,
    quotaReset: -2,
    policies: undefined,
    states: undefined,
  };
}

/**
 * The headers of {@link rateLimitHeaders}, always in a new object, reusing the values `memo` holds
 * from the same key's previous success while their numbers repeat: a key well under its limit
 * refills to the same remaining count between requests, so its strings need not be built again.
 */
export function successRateLimitHeaders(
  memo: HeaderMemo,
  rateLimit: RateLimit | undefined,
  bucket: LimitResult | undefined,
  quota: Quota | undefined,
  window: LimitResult | undefined,
  policy: Policy,
): Record<string, string> {
  const hasBucket = rateLimit !== undefined && bucket !== undefined;
  const hasQuota = quota !== undefined && window !== undefined;
  const bucketRemaining = hasBucket ? Math.max(0, bucket.remaining) : -1;
  const bucketReset = hasBucket ? bucketResetSeconds(rateLimit, bucket) : 0;
  const quotaRemaining = hasQuota ? Math.max(0, window.remaining) : -1;
  const quotaReset = hasQuota ? quotaResetSeconds(window) : 0;
  if (
    memo.states !== undefined &&
    memo.policies !== undefined &&
    memo.bucketRemaining === bucketRemaining &&
    memo.bucketReset === bucketReset &&
    memo.quotaRemaining === quotaRemaining &&
    memo.quotaReset === quotaReset
  ) {
    return { 'ratelimit-policy': memo.policies, ratelimit: memo.states };
  }
  const headers = formatHeaders(policy, bucketRemaining, bucketReset, quotaRemaining, quotaReset);
  memo.bucketRemaining = bucketRemaining;
  memo.bucketReset = bucketReset;
  memo.quotaRemaining = quotaRemaining;
  memo.quotaReset = quotaReset;
  memo.policies = headers['ratelimit-policy'];
  memo.states = headers.ratelimit;
  return headers;
}

/** `Retry-After` in whole seconds, at least 1. */
export function retryAfter(ms: number): string {
  return String(Math.max(1, seconds(ms)));
}

/** The last owner headers of one key and what they were made from (see {@link withOwnerHeaders}). */
export interface OwnerHeaderMemo {
  keyPolicies: string | undefined;
  policy: object | undefined;
  /** Which owner limits the policies name: bit 0 its bucket, bit 1 its quota. */
  shape: number;
  policies: string | undefined;
  keyStates: string | undefined;
  ownerStates: string | undefined;
  states: string | undefined;
}

/** A memo that matches nothing yet. */
export function newOwnerHeaderMemo(): OwnerHeaderMemo {
  return {
    keyPolicies: undefined,
    policy: undefined,
    shape: -1,
    policies: undefined,
    keyStates: undefined,
    ownerStates: undefined,
    states: undefined,
  };
}

/** `a, b`, or whichever is defined. */
function joinItems(a: string | undefined, b: string | undefined): string | undefined {
  return a === undefined ? b : b === undefined ? a : `${a}, ${b}`;
}

/**
 * The key's headers with the owner's shared limits appended (`"owner"` for the bucket,
 * `"owner-quota"` for the quota), for every response of a key whose owner has a plan; always a
 * new object (the caller may add `retry-after`). The owner's items come from a table of recent
 * states as the key's do, and the joined values are reused from `memo` while both parts repeat.
 */
export function withOwnerHeaders(
  memo: OwnerHeaderMemo,
  keyHeaders: Readonly<Record<string, string>>,
  policy: { readonly bucket: string | undefined; readonly quota: string | undefined },
  rateLimit: RateLimit | undefined,
  bucket: LimitResult | undefined,
  quota: Quota | undefined,
  window: LimitResult | undefined,
): Record<string, string> {
  const hasBucket = rateLimit !== undefined && bucket !== undefined && policy.bucket !== undefined;
  const hasQuota = quota !== undefined && window !== undefined && policy.quota !== undefined;
  const keyPolicies = keyHeaders['ratelimit-policy'];
  const keyStates = keyHeaders.ratelimit;
  if (!hasBucket && !hasQuota) {
    return keyPolicies === undefined || keyStates === undefined
      ? {}
      : { 'ratelimit-policy': keyPolicies, ratelimit: keyStates };
  }
  const ownerStates = OWNER_STATES.text(
    hasBucket ? Math.max(0, bucket.remaining) : -1,
    hasBucket ? bucketResetSeconds(rateLimit, bucket) : 0,
    hasQuota ? Math.max(0, window.remaining) : -1,
    hasQuota ? quotaResetSeconds(window) : 0,
  );
  const shape = (hasBucket ? 1 : 0) | (hasQuota ? 2 : 0);
  if (memo.policy !== policy || memo.keyPolicies !== keyPolicies || memo.shape !== shape) {
    memo.policy = policy;
    memo.keyPolicies = keyPolicies;
    memo.shape = shape;
    memo.policies = joinItems(
      keyPolicies,
      joinItems(hasBucket ? policy.bucket : undefined, hasQuota ? policy.quota : undefined),
    );
  }
  if (memo.keyStates !== keyStates || memo.ownerStates !== ownerStates) {
    memo.keyStates = keyStates;
    memo.ownerStates = ownerStates;
    memo.states = joinItems(keyStates, ownerStates);
  }
  return { 'ratelimit-policy': memo.policies!, ratelimit: memo.states! };
}
