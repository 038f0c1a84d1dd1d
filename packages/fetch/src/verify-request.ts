import {
  isPromiseLike,
  type Keyward,
  type MaybePromise,
  type VerifyOptions,
  type VerifyRejection,
  type VerifyResult,
  type VerifySuccess,
} from '@keyward/core';
import { toVerifyRequest } from './request.js';
import { problemResponse } from './response.js';

/**
 * The client IP of a request, given as a string or read by a function of the request and the
 * handler's other arguments (Bun's `server`, Deno's `info`, a Worker's `env` and `ctx`; type them
 * as your runtime passes them). Fetch runtimes resolve no IP on their own: give one, or keys with
 * an IP allow-list are refused.
 *
 * @example
 * ```ts
 * const ip: ClientIp = (request, server: Bun.Server) => server.requestIP(request)?.address;
 * ```
 */
export type ClientIp = string | ((request: Request, ...args: never[]) => string | null | undefined);

/**
 * Options of {@link verifyRequest}: what the route requires, and the client IP.
 *
 * @example
 * ```ts
 * const options: VerifyRequestOptions = { scopes: ['invoices:read'], ip: '203.0.113.7' };
 * ```
 */
export interface VerifyRequestOptions extends VerifyOptions {
  /** The client IP (see {@link ClientIp}); a function is called with the request alone. */
  readonly ip?: string | ((request: Request) => string | null | undefined) | undefined;
}

/**
 * What {@link verifyRequest} found: the core's {@link VerifySuccess}, or its rejection with the
 * ready `response` (status, headers and problem body, as every keyward adapter sends it).
 *
 * @example
 * ```ts
 * const outcome = await verifyRequest(keyward, request);
 * if (!outcome.ok) return outcome.response;
 * ```
 */
export type RequestVerification = VerifySuccess | RequestRejection;

/**
 * A rejection with the `Response` to send for it.
 *
 * @example
 * ```ts
 * if (!outcome.ok) console.warn(outcome.code, outcome.status); // then: return outcome.response
 * ```
 */
export interface RequestRejection extends VerifyRejection {
  readonly response: Response;
}

/** The options of a call that gives none: one frozen object, so verify compiles it once. */
const NO_OPTIONS: VerifyRequestOptions = Object.freeze({});
const OPTION_NAMES: ReadonlySet<string> = new Set(['scopes', 'anyScopes', 'cost', 'keyType', 'ip']);
/** Option objects whose names were checked: frozen, so they cannot gain a name later. */
const checkedOptions = new WeakSet<object>();

/** Throws a TypeError naming an unknown option (a typo must never leave a route open). */
function checkOptionNames(options: VerifyRequestOptions): void {
  if (checkedOptions.has(options)) return;
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) {
      throw new TypeError(
        `verifyRequest() options: unknown option ${JSON.stringify(name)} (known: ${[...OPTION_NAMES].join(', ')})`,
      );
    }
  }
  if (Object.isFrozen(options)) checkedOptions.add(options);
}

/** Resolves an `ip` option for one request; a function that answers nothing means no IP. */
export function resolveIp(
  ip: ClientIp | undefined,
  request: Request,
  args: readonly unknown[],
): string | undefined {
  if (typeof ip !== 'function') return ip;
  return ip(request, ...(args as never[])) ?? undefined;
}

/** Adds the rejection's `Response`; a success passes through as the core returned it. */
export function settle(result: VerifyResult): RequestVerification {
  return result.ok ? result : { ...result, response: problemResponse(result) };
}

/**
 * Verifies the API key of a fetch `Request`, for handlers that answer themselves (Next.js route
 * handlers, a Worker's `fetch`). Returns a plain object when `keyward.verify` did (a cached key and
 * synchronous stores), otherwise a Promise of one; never throws for a bad request. Options are
 * checked on every call unless frozen (see `prepareVerifyOptions`), an unknown option name
 * included (a TypeError naming it); {@link withApiKey} checks its
 * options once. A `Request` already verified by a guard of the same keyward (a `withApiKey`
 * around the handler, an earlier `verifyRequest`) is not verified or charged again: only these
 * options' scopes and anyScopes are checked, and only a `cost` they name is charged (see
 * `Keyward.verifyOnce`).
 *
 * @example
 * ```ts
 * import { verifyRequest } from '@keyward/fetch';
 *
 * export async function GET(request: Request) {
 *   const outcome = await verifyRequest(keyward, request, {
 *     scopes: ['invoices:read'],
 *     ip: request.headers.get('x-real-ip') ?? undefined, // what your platform's edge sets
 *   });
 *   if (!outcome.ok) return outcome.response;
 *   return Response.json({ keyId: outcome.key.id }, { headers: outcome.headers });
 * }
 * ```
 */
export function verifyRequest(
  keyward: Keyward,
  request: Request,
  options: VerifyRequestOptions = NO_OPTIONS,
): MaybePromise<RequestVerification> {
  checkOptionNames(options);
  const ip = resolveIp(options.ip, request, []);
  const result = keyward.verifyOnce(request, toVerifyRequest(request, ip), options);
  return isPromiseLike(result) ? result.then(settle) : settle(result);
}
