import type { Alert, AlertOptions, AlertThresholds, AlertWebhook } from './types.js';

/** The documented defaults (docs/alerts.md). */
export const DEFAULT_THRESHOLDS: Readonly<AlertThresholds> = Object.freeze({
  spikeFactor: 5,
  spikeFloor: 300,
  spikeWindowMinutes: 60,
  spikeWarmupMinutes: 10,
  rejectionBurst: 20,
  rejectionBurstWindowMs: 60_000,
  graceWarningMs: 3_600_000,
  networkMemoryDays: 30,
  networkLearningMs: 3_600_000,
  maxNetworksPerKey: 16,
  quotaPercents: Object.freeze([80, 95, 100]),
});

/** The webhook option with its defaults filled in. */
export interface WebhookConfig {
  readonly url: string;
  readonly secret: string;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  readonly retryBaseMs: number;
}

/** Alert options checked, with every default filled in. */
export interface AlertConfig {
  readonly onAlert: ((alert: Alert) => void) | undefined;
  readonly webhook: WebhookConfig | undefined;
  readonly cooldownMs: number;
  readonly thresholds: Readonly<AlertThresholds>;
  readonly maxKeys: number;
  readonly maxQueue: number;
}

const OPTION_NAMES = new Set([
  'onAlert',
  'webhook',
  'cooldownMs',
  'thresholds',
  'maxKeys',
  'maxQueue',
]);
const WEBHOOK_NAMES = new Set(['url', 'secret', 'maxAttempts', 'timeoutMs', 'retryBaseMs']);

function positive(value: unknown, option: string, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    (integer && !Number.isSafeInteger(value))
  ) {
    throw new TypeError(`${option} must be a positive ${integer ? 'integer' : 'number'}`);
  }
  return value;
}

function nonNegative(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${option} must be a non-negative number`);
  }
  return value;
}

function unknownName(value: object, known: ReadonlySet<string>, option: string): void {
  for (const name of Object.keys(value)) {
    if (!known.has(name)) throw new TypeError(`${option}: unknown option "${name}"`);
  }
}

/** A Standard Webhooks secret: `whsec_` + base64 of 24–64 bytes. Never echoed in errors. */
function checkSecret(secret: unknown): string {
  const body = typeof secret === 'string' && secret.startsWith('whsec_') ? secret.slice(6) : '';
  let bytes = 0;
  try {
    bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(body) ? atob(body).length : 0;
  } catch {
    bytes = 0;
  }
  if (bytes < 24 || bytes > 64) {
    throw new TypeError('alerts.webhook.secret must be "whsec_" + base64 of 24 to 64 random bytes');
  }
  return secret as string;
}

function checkWebhook(value: unknown): WebhookConfig | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) {
    throw new TypeError('alerts.webhook must be { url, secret }');
  }
  unknownName(value, WEBHOOK_NAMES, 'alerts.webhook');
  const webhook = value as AlertWebhook;
  let url: URL | undefined;
  try {
    url = typeof webhook.url === 'string' ? new URL(webhook.url) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new TypeError('alerts.webhook.url must be an http(s) URL');
  }
  if (typeof globalThis.fetch !== 'function') {
    throw new TypeError('alerts.webhook needs a global fetch (Node 18+, Bun, Deno, workers)');
  }
  return {
    url: url.href,
    secret: checkSecret(webhook.secret),
    maxAttempts: positive(webhook.maxAttempts, 'alerts.webhook.maxAttempts', 5, true),
    timeoutMs: positive(webhook.timeoutMs, 'alerts.webhook.timeoutMs', 10_000),
    retryBaseMs: positive(webhook.retryBaseMs, 'alerts.webhook.retryBaseMs', 1000),
  };
}

function checkThresholds(value: unknown): Readonly<AlertThresholds> {
  if (value === undefined) return DEFAULT_THRESHOLDS;
  if (typeof value !== 'object' || value === null) {
    throw new TypeError('alerts.thresholds must be an object');
  }
  unknownName(value, new Set(Object.keys(DEFAULT_THRESHOLDS)), 'alerts.thresholds');
  const given = value as Partial<AlertThresholds>;
  const d = DEFAULT_THRESHOLDS;
  const name = (field: string) => `alerts.thresholds.${field}`;
  const percents = given.quotaPercents ?? d.quotaPercents;
  if (
    !Array.isArray(percents) ||
    percents.length === 0 ||
    percents.some((p) => typeof p !== 'number' || !(p > 0 && p <= 100))
  ) {
    throw new TypeError(`${name('quotaPercents')} must be percentages above 0, up to 100`);
  }
  return Object.freeze({
    spikeFactor: positive(given.spikeFactor, name('spikeFactor'), d.spikeFactor),
    spikeFloor: positive(given.spikeFloor, name('spikeFloor'), d.spikeFloor),
    spikeWindowMinutes: positive(
      given.spikeWindowMinutes,
      name('spikeWindowMinutes'),
      d.spikeWindowMinutes,
    ),
    spikeWarmupMinutes: nonNegative(
      given.spikeWarmupMinutes,
      name('spikeWarmupMinutes'),
      d.spikeWarmupMinutes,
    ),
    rejectionBurst: positive(given.rejectionBurst, name('rejectionBurst'), d.rejectionBurst, true),
    rejectionBurstWindowMs: positive(
      given.rejectionBurstWindowMs,
      name('rejectionBurstWindowMs'),
      d.rejectionBurstWindowMs,
    ),
    graceWarningMs: nonNegative(given.graceWarningMs, name('graceWarningMs'), d.graceWarningMs),
    networkMemoryDays: positive(
      given.networkMemoryDays,
      name('networkMemoryDays'),
      d.networkMemoryDays,
    ),
    networkLearningMs: nonNegative(
      given.networkLearningMs,
      name('networkLearningMs'),
      d.networkLearningMs,
    ),
    maxNetworksPerKey: positive(
      given.maxNetworksPerKey,
      name('maxNetworksPerKey'),
      d.maxNetworksPerKey,
      true,
    ),
    quotaPercents: Object.freeze([...new Set(percents)].sort((a, b) => a - b)),
  });
}

/** Checks the `alerts` option; throws a TypeError naming the first bad field. */
export function compileAlertOptions(value: unknown): AlertConfig {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError('alerts must be an object ({ onAlert?, webhook?, … }) or false');
  }
  unknownName(value, OPTION_NAMES, 'alerts');
  const options = value as AlertOptions;
  if (options.onAlert !== undefined && typeof options.onAlert !== 'function') {
    throw new TypeError('alerts.onAlert must be a function');
  }
  return {
    onAlert: options.onAlert,
    webhook: checkWebhook(options.webhook),
    cooldownMs: nonNegative(options.cooldownMs, 'alerts.cooldownMs', 600_000),
    thresholds: checkThresholds(options.thresholds),
    maxKeys: positive(options.maxKeys, 'alerts.maxKeys', 10_000, true),
    maxQueue: positive(options.maxQueue, 'alerts.maxQueue', 1000, true),
  };
}
