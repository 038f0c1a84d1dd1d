import {
  isPromiseLike,
  type KeyInfo,
  type Keyward,
  type MaybePromise,
  prepareAdapterOptions,
  type VerifyOptions,
  type VerifyRejection,
  type VerifyResult,
} from '@keyward/core';
import { toVerifyRequest } from './request.js';
import { problemResponse, withHeaders } from './response.js';
import { type ClientIp, resolveIp } from './verify-request.js';

/**
 * A fetch-style handler: a `Request` and whatever else the runtime passes (Bun's `server`, Deno's
 * `info`, a Worker's `env` and `ctx`, a Next.js route's `context`).
 *
 * @example
 * ```ts
 * const handler: FetchHandler<[Deno.ServeHandlerInfo]> = (request, info) => new Response('ok');
 * ```
 */
export type FetchHandler<Args extends readonly unknown[] = readonly unknown[]> = (
  request: Request,
  ...args: Args
) => MaybePromise<Response>;

/**
 * Replaces the default problem response: return the `Response` to send. `result.headers` holds
 * what the response should carry (`WWW-Authenticate`, `Retry-After`, …). Its further parameters
 * are the handler's (type them as your runtime passes them).
 *
 * @example
 * ```ts
 * const onReject: FetchRejectHandler = (result) =>
 *   Response.json({ error: result.code }, { status: result.status, headers: result.headers });
 * ```
 */
export type FetchRejectHandler = (
  result: VerifyRejection,
  request: Request,
  ...args: never[]
) => MaybePromise<Response>;

/**
 * Options of {@link withApiKey}.
 *
 * @example
 * ```ts
 * const options: WithApiKeyOptions = {
 *   scopes: ['invoices:read'],
 *   ip: (request, server: Bun.Server) => server.requestIP(request)?.address,
 * };
 * ```
 */
export interface WithApiKeyOptions extends VerifyOptions {
  /** The client IP, or how to read it from the request and the handler's other arguments. */
  readonly ip?: ClientIp | undefined;
  /** Called instead of sending the default `application/problem+json` response. */
  readonly onReject?: FetchRejectHandler | undefined;
}

function isEmpty(headers: Readonly<Record<string, string>>): boolean {
  for (const _ in headers) return false;
  return true;
}

const verifiedKeys = new WeakMap<Request, KeyInfo>();

/**
 * The key {@link withApiKey} verified for this request, or undefined (a request it did not guard).
 *
 * @example
 * ```ts
 * const handler = withApiKey((request) => Response.json({ keyId: getApiKey(request)?.id }), keyward);
 * ```
 */
export function getApiKey(request: Request): KeyInfo | undefined {
  return verifiedKeys.get(request);
}

/**
 * Guards a fetch-style handler: verifies the request's API key first; on success calls `handler`
 * with the same arguments (the key is {@link getApiKey}`(request)`) and adds the rate-limit headers
 * to its response (unless it set them); on rejection answers with the rejection's status, headers
 * and `application/problem+json` body, as every keyward adapter does (or calls `onReject`).
 * Options are checked here, so a bad scope throws at startup. When verify and the handler answer
 * synchronously, so does the guarded handler: no Promise is created. Guards nest: a request
 * already verified by a guard of the same keyward around this one (`withApiKey`, `verifyRequest`
 * or `@keyward/hono`'s `apiKeyAuth`, on the same `Request`) is not verified or charged again;
 * this guard checks its own scopes and anyScopes, and charges only a `cost` it names (see
 * `Keyward.verifyOnce`).
 *
 * @example
 * ```ts
 * import { getApiKey, withApiKey } from '@keyward/fetch';
 *
 * Bun.serve({
 *   fetch: withApiKey((request) => Response.json({ keyId: getApiKey(request)?.id }), keyward, {
 *     scopes: ['invoices:read'],
 *     ip: (request, server) => server.requestIP(request)?.address,
 *   }),
 * });
 * ```
 */
export function withApiKey<Args extends readonly unknown[]>(
  handler: FetchHandler<Args>,
  keyward: Keyward,
  options: WithApiKeyOptions = {},
): FetchHandler<Args> {
  if (typeof handler !== 'function') {
    throw new TypeError('withApiKey() needs a handler function as its first argument');
  }
  const { verifyOptions, onReject } = prepareAdapterOptions(
    keyward,
    options,
    'withApiKey() needs a Keyward instance from createKeyward() as its second argument',
    ['ip'],
  );
  const ip = options.ip;
  if (ip !== undefined && typeof ip !== 'string' && typeof ip !== 'function') {
    throw new TypeError('ip must be a string or a function of the request');
  }

  function respond(result: VerifyResult, request: Request, args: Args): MaybePromise<Response> {
    if (!result.ok) {
      return onReject === undefined
        ? problemResponse(result)
        : onReject(result, request, ...(args as unknown as never[]));
    }
    verifiedKeys.set(request, result.key);
    const response = handler(request, ...args);
    const headers = result.headers;
    // Nothing to add: the handler's own answer, with no Promise of ours around it.
    if (isEmpty(headers)) return response;
    return isPromiseLike(response)
      ? response.then((settled) => withHeaders(settled, headers))
      : withHeaders(response, headers);
  }

  return function keywardWithApiKey(request: Request, ...args: Args): MaybePromise<Response> {
    const result = keyward.verifyOnce(
      request,
      toVerifyRequest(request, resolveIp(ip, request, args)),
      verifyOptions,
    );
    return isPromiseLike(result)
      ? result.then((settled) => respond(settled, request, args))
      : respond(result, request, args);
  };
}
