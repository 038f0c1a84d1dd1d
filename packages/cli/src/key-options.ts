import {
  type CreateKeyOptions,
  compileReferrerAllowList,
  compileRouteAllowList,
  type KeyEnvironment,
  type KeyInfo,
  type KeyType,
  type UpdateKeyOptions,
} from '@keyward/core';
import { usageError } from './cli-error.js';
import { type FlagValues, listFlag, stringFlag } from './command.js';
import { quoteArgument } from './quote-argument.js';
import {
  parseBurst,
  parseExpires,
  parseMetadata,
  parseQuota,
  parseRateLimit,
  splitList,
} from './values.js';

/** Flags shared by `create` and `update`. */
export const KEY_FLAGS = {
  name: { type: 'string' },
  env: { type: 'string' },
  owner: { type: 'string' },
  scopes: { type: 'string', multiple: true },
  ip: { type: 'string', multiple: true },
  type: { type: 'string' },
  referrer: { type: 'string', multiple: true },
  referrers: { type: 'string', multiple: true },
  origins: { type: 'string', multiple: true },
  routes: { type: 'string', multiple: true },
  rate: { type: 'string' },
  burst: { type: 'string' },
  quota: { type: 'string' },
  expires: { type: 'string' },
  meta: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

/** Flags only `update` has. */
export const CLEAR_FLAGS = {
  'clear-ip': { type: 'boolean' },
  'clear-referrer': { type: 'boolean' },
  'clear-routes': { type: 'boolean' },
  'clear-rate': { type: 'boolean' },
  'clear-quota': { type: 'boolean' },
  'clear-expires': { type: 'boolean' },
  'clear-meta': { type: 'boolean' },
} as const;

export const KEY_FLAG_HELP = [
  '--scopes <a,b>         granted scopes, comma-separated or repeated (e.g. invoices:read)',
  '--ip <cidr>            allowed client IP or CIDR range; repeat for more',
  "--referrer <pattern>   allowed Referer/Origin pattern, e.g. 'https://*.example.com/*'; repeat for more",
  '--referrers <a,b>      the same, comma-separated',
  '--origins <a,b>        allowed origins, e.g. https://shop.example.com (any path of each)',
  "--routes <a,b>         allowed routes, comma-separated or repeated: 'GET /invoices/*,POST /reports/**'",
  '--rate <n/unit>        token-bucket rate: 10/s, 100/m or 1000/h',
  '--burst <n>            bucket capacity (default: the per-second rate rounded up, at least 1)',
  '--quota <n/period>     quota per UTC-aligned period: 10000/day (minute, hour, day, month)',
  '--expires <when>       30d, 12h, 90m from now, or an ISO date (2030-01-31T00:00:00Z)',
  '--meta <key=value>     metadata entry (string value); repeat for more',
  '--json                 print JSON instead of text',
];

const ENVIRONMENT = /^[a-z][a-z0-9]{1,7}$/;

/** Whether `name` is an environment name: `[a-z][a-z0-9]{1,7}`, never `pk`. */
export function isEnvironmentName(name: string): boolean {
  return ENVIRONMENT.test(name) && name !== 'pk';
}

/** Reads `--env`: any environment name (`live`, `test`, `staging`…). */
export function parseEnvironment(values: FlagValues): KeyEnvironment | undefined {
  const env = stringFlag(values, 'env');
  if (env === undefined) return undefined;
  if (!isEnvironmentName(env)) {
    throw usageError(
      `--env: ${quoteArgument(env)} is not an environment name ([a-z][a-z0-9]{1,7}, not pk; e.g. live, test, staging)`,
    );
  }
  return env;
}

/** Reads `--type`: `secret` or `publishable`. */
export function parseKeyType(values: FlagValues): KeyType | undefined {
  const type = stringFlag(values, 'type');
  if (type === undefined) return undefined;
  if (type !== 'secret' && type !== 'publishable') {
    throw usageError(`--type: ${quoteArgument(type)} must be secret or publishable`);
  }
  return type;
}

/** Runs a core validation, reporting its refusal (which names the flag and entry) as exit 2. */
function validated<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 'invalid_options') {
      throw usageError((error as Error).message);
    }
    throw error;
  }
}

const ORIGIN = /^(?:https?):\/\/(?:\*\.)?[^/:*?#@\s]+(?::\d{1,5})?$/i;

/**
 * The referrer patterns of `--referrer` (repeated), `--referrers` (comma-separated) and
 * `--origins` (each origin becomes `<origin>/*`: any page of it), each checked under its own flag
 * name; undefined when none of them is given.
 */
export function parseReferrers(values: FlagValues): string[] | undefined {
  if (values.referrer === undefined && values.referrers === undefined) {
    if (values.origins === undefined) return undefined;
  }
  const single = listFlag(values, 'referrer');
  const listed = splitList(listFlag(values, 'referrers'));
  const origins = splitList(listFlag(values, 'origins'));
  validated(() => compileReferrerAllowList(single, '--referrer'));
  validated(() => compileReferrerAllowList(listed, '--referrers'));
  for (const origin of origins) {
    if (!ORIGIN.test(origin)) {
      throw usageError(
        `--origins: "${origin}" is not an origin (scheme, host and optional port, no path: https://shop.example.com)`,
      );
    }
    try {
      compileReferrerAllowList([`${origin}/*`]);
    } catch {
      throw usageError(`--origins: "${origin}" has an invalid host`);
    }
  }
  return [...single, ...listed, ...origins.map((origin) => `${origin}/*`)];
}

/** Reads `--routes` (comma-separated or repeated), checked as core checks route patterns. */
export function parseRoutes(values: FlagValues): string[] | undefined {
  if (values.routes === undefined) return undefined;
  const routes = splitList(listFlag(values, 'routes'));
  if (routes.length === 0) throw usageError('--routes: give at least one route pattern');
  return [...validated(() => compileRouteAllowList(routes, '--routes')).entries];
}

/** The options of `keyward create` from its flags. */
export function createOptions(values: FlagValues, now: number): CreateKeyOptions {
  const name = stringFlag(values, 'name');
  if (name === undefined) throw usageError('--name is required');
  const options: CreateKeyOptions = { name, scopes: splitList(listFlag(values, 'scopes')) };
  const environment = parseEnvironment(values);
  if (environment !== undefined) options.environment = environment;
  const type = parseKeyType(values);
  if (type !== undefined) options.type = type;
  const owner = stringFlag(values, 'owner');
  if (owner !== undefined) options.ownerId = owner;
  const ips = splitList(listFlag(values, 'ip'));
  if (ips.length > 0) options.ips = ips;
  const referrers = parseReferrers(values);
  if (referrers !== undefined && referrers.length > 0) options.referrers = referrers;
  const routes = parseRoutes(values);
  if (routes !== undefined) options.routes = routes;
  const rate = stringFlag(values, 'rate');
  const burst = stringFlag(values, 'burst');
  if (rate !== undefined) options.rateLimit = parseRateLimit(rate, burst);
  else if (burst !== undefined) throw usageError('--burst needs --rate');
  const quota = stringFlag(values, 'quota');
  if (quota !== undefined) options.quota = parseQuota(quota);
  const expires = stringFlag(values, 'expires');
  if (expires !== undefined) options.expiresAt = parseExpires(expires, now);
  const meta = listFlag(values, 'meta');
  if (meta.length > 0) options.metadata = parseMetadata(meta);
  return options;
}

function conflict(values: FlagValues, set: string, clear: string): boolean {
  const isSet = Array.isArray(values[set]) || typeof values[set] === 'string';
  if (isSet && values[clear] === true) {
    throw usageError(`--${set} and --${clear} cannot be used together`);
  }
  return values[clear] === true;
}

/**
 * The changes of `keyward update` from its flags. `current` is the key as stored (for `--burst`
 * alone and for `--meta`, which merges into the existing metadata).
 */
export function updateOptions(values: FlagValues, current: KeyInfo, now: number): UpdateKeyOptions {
  if (values.env !== undefined) throw usageError('--env cannot be changed; create a new key');
  if (values.owner !== undefined) throw usageError('--owner cannot be changed; create a new key');
  if (values.type !== undefined) throw usageError('--type cannot be changed; create a new key');
  const changes: UpdateKeyOptions = {};
  const name = stringFlag(values, 'name');
  if (name !== undefined) changes.name = name;
  const scopes = listFlag(values, 'scopes');
  if (scopes.length > 0) changes.scopes = splitList(scopes);
  if (conflict(values, 'ip', 'clear-ip')) changes.ips = null;
  else if (values.ip !== undefined) changes.ips = splitList(listFlag(values, 'ip'));
  const referrersSet = ['referrer', 'referrers', 'origins'].find((f) => values[f] !== undefined);
  if (values['clear-referrer'] === true && referrersSet !== undefined) {
    throw usageError(`--${referrersSet} and --clear-referrer cannot be used together`);
  }
  if (values['clear-referrer'] === true) changes.referrers = null;
  else if (referrersSet !== undefined) changes.referrers = parseReferrers(values)!;
  if (conflict(values, 'routes', 'clear-routes')) changes.routes = null;
  else if (values.routes !== undefined) changes.routes = parseRoutes(values)!;
  const rate = stringFlag(values, 'rate');
  const burst = stringFlag(values, 'burst');
  if (values['clear-rate'] === true && (rate !== undefined || burst !== undefined)) {
    throw usageError('--rate/--burst and --clear-rate cannot be used together');
  }
  if (values['clear-rate'] === true) changes.rateLimit = null;
  else if (rate !== undefined) changes.rateLimit = parseRateLimit(rate, burst);
  else if (burst !== undefined) {
    if (current.rateLimit === undefined)
      throw usageError('--burst needs --rate (the key has none)');
    changes.rateLimit = { ...current.rateLimit, capacity: parseBurst(burst) };
  }
  if (conflict(values, 'quota', 'clear-quota')) changes.quota = null;
  else if (values.quota !== undefined) changes.quota = parseQuota(stringFlag(values, 'quota')!);
  if (conflict(values, 'expires', 'clear-expires')) changes.expiresAt = null;
  else if (values.expires !== undefined) {
    changes.expiresAt = parseExpires(stringFlag(values, 'expires')!, now);
  }
  const meta = listFlag(values, 'meta');
  if (values['clear-meta'] === true) {
    changes.metadata = meta.length > 0 ? parseMetadata(meta) : null;
  } else if (meta.length > 0) {
    changes.metadata = { ...current.metadata, ...parseMetadata(meta) };
  }
  if (Object.keys(changes).length === 0) {
    throw usageError('nothing to update: pass at least one flag (see keyward update --help)');
  }
  return changes;
}
