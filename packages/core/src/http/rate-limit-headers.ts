import type { Quota } from '../limits/quota.js';
import type { LimitResult, RateLimit } from '../limits/token-bucket.js';

const PERIOD_SECONDS = { minute: 60, hour: 3600, day: 86_400, month: 2_592_000 } as const;

function seconds(ms: number): number {
  return ms <= 0 ? 0 : Math.ceil(ms / 1000);
}

/** The `RateLimit-Policy` value for a key's limits; static per key, so compiled once. */
export function rateLimitPolicy(
  rateLimit: RateLimit | undefined,
  quota: Quota | undefined,
): { key: string | undefined; quota: string | undefined } {
  return {
    key:
      rateLimit === undefined
        ? undefined
        : `"key";q=${rateLimit.capacity};w=${Math.ceil(rateLimit.capacity / rateLimit.refillPerSecond)}`,
    quota:
      quota === undefined
        ? undefined
        : `"quota";q=${quota.limit};w=${PERIOD_SECONDS[quota.period]}`,
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
 * validation would then flatten again. Shared by every key (the value names the policy `"key"` or
 * `"quota"`, never a key); 1024 strings at most.
 */
const STATE_SLOTS = 1024;
const stateNumbers = new Float64Array(STATE_SLOTS * 4).fill(-3);
const stateTexts: string[] = new Array<string>(STATE_SLOTS).fill('');

function stateText(
  bucketRemaining: number,
  bucketReset: number,
  quotaRemaining: number,
  quotaReset: number,
): string {
  // ToInt32 keeps an integer's low 32 bits, so this is the count modulo 256 for any safe integer.
  const slot = (bucketRemaining ^ (quotaRemaining * 31)) & (STATE_SLOTS - 1);
  const at = slot * 4;
  if (
    stateNumbers[at] === bucketRemaining &&
    stateNumbers[at + 1] === bucketReset &&
    stateNumbers[at + 2] === quotaRemaining &&
    stateNumbers[at + 3] === quotaReset
  ) {
    return stateTexts[slot]!;
  }
  let text: string;
  if (bucketRemaining >= 0) {
    text = `"key";r=${formatCount(bucketRemaining)};t=${bucketReset}`;
    if (quotaRemaining >= 0) {
      text = `${text}, "quota";r=${formatCount(quotaRemaining)};t=${quotaReset}`;
    }
  } else {
    text = `"quota";r=${formatCount(quotaRemaining)};t=${quotaReset}`;
  }
  stateNumbers[at] = bucketRemaining;
  stateNumbers[at + 1] = bucketReset;
  stateNumbers[at + 2] = quotaRemaining;
  stateNumbers[at + 3] = quotaReset;
  stateTexts[slot] = text;
  return text;
}

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
    ratelimit: stateText(bucketRemaining, bucketReset, quotaRemaining, quotaReset),
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
  keyStates: string | undefined;
  policy: object | undefined;
  bucketRemaining: number;
  bucketReset: number;
  quotaRemaining: number;
  quotaReset: number;
  policies: string | undefined;
  states: string | undefined;
}

/** A memo that matches nothing yet. */
export function newOwnerHeaderMemo(): OwnerHeaderMemo {
  return {
    keyPolicies: undefined,
    keyStates: undefined,
    policy: undefined,
    bucketRemaining: -2,
    bucketReset: -2,
    quotaRemaining: -2,
    quotaReset: -2,
    policies: undefined,
    states: undefined,
  };
}

/**
 * The key's headers with the owner's shared limits appended (`"owner"` for the bucket,
 * `"owner-quota"` for the quota), for every response of a key whose owner has a plan; always a
 * new object (the caller may add `retry-after`), its strings reused from `memo` while the numbers
 * repeat.
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
  const bucketRemaining = hasBucket ? Math.max(0, bucket.remaining) : -1;
  const bucketReset = hasBucket ? bucketResetSeconds(rateLimit, bucket) : 0;
  const quotaRemaining = hasQuota ? Math.max(0, window.remaining) : -1;
  const quotaReset = hasQuota ? quotaResetSeconds(window) : 0;
  const keyPolicies = keyHeaders['ratelimit-policy'];
  const keyStates = keyHeaders.ratelimit;
  if (
    memo.policy !== policy ||
    memo.keyPolicies !== keyPolicies ||
    memo.keyStates !== keyStates ||
    memo.bucketRemaining !== bucketRemaining ||
    memo.bucketReset !== bucketReset ||
    memo.quotaRemaining !== quotaRemaining ||
    memo.quotaReset !== quotaReset
  ) {
    let policies = keyPolicies;
    let states = keyStates;
    const add = (item: string, state: string) => {
      policies = policies === undefined ? item : `${policies}, ${item}`;
      states = states === undefined ? state : `${states}, ${state}`;
    };
    if (hasBucket) {
      add(policy.bucket!, `"owner";r=${formatCount(bucketRemaining)};t=${bucketReset}`);
    }
    if (hasQuota) {
      add(policy.quota!, `"owner-quota";r=${formatCount(quotaRemaining)};t=${quotaReset}`);
    }
    memo.policy = policy;
    memo.keyPolicies = keyPolicies;
    memo.keyStates = keyStates;
    memo.bucketRemaining = bucketRemaining;
    memo.bucketReset = bucketReset;
    memo.quotaRemaining = quotaRemaining;
    memo.quotaReset = quotaReset;
    memo.policies = policies;
    memo.states = states;
  }
  // `keyHeaders` holds the RateLimit pair (or nothing): successRateLimitHeaders made it.
  if (memo.policies === undefined || memo.states === undefined) return {};
  return { 'ratelimit-policy': memo.policies, ratelimit: memo.states };
}
