import {
  isPromiseLike,
  type KeyInfo,
  type Keyward,
  prepareAdapterOptions,
  type VerifyOptions,
  type VerifyRejection,
  type VerifyResult,
} from '@keyward/core';
import { toVerifyRequest } from '@keyward/fetch';
import type { Context, MiddlewareHandler, Next } from 'hono';
import type { GetConnInfo } from 'hono/conninfo';

declare module 'hono' {
  interface ContextVariableMap {
    /** The API key `apiKeyAuth` verified for this request; unset on routes it does not guard. */
    apiKey: KeyInfo;
  }
}

/**
 * Replaces the default problem response: return the `Response` to send (e.g. with `c.json`).
 * `result.headers` holds what the response should carry (`WWW-Authenticate`, `Retry-After`, …).
 *
 * @example
 * ```ts
 * app.use('/api/*', apiKeyAuth(keyward, {
 *   onReject: (result, c) => c.json({ error: result.code }, result.status as 401, result.headers),
 * }));
 * ```
 */
export type HonoRejectHandler = (
  result: VerifyRejection,
  c: Context,
) => Response | Promise<Response>;

/**
 * Options of {@link apiKeyAuth}: what the guarded routes require, where the client IP comes from,
 * and how rejections are sent.
 *
 * @example
 * ```ts
 * import { getConnInfo } from 'hono/bun';
 *
 * const options: ApiKeyAuthOptions = { scopes: ['invoices:read'], getConnInfo };
 * ```
 */
export interface ApiKeyAuthOptions extends VerifyOptions {
  /**
   * Hono's connection-info helper for your runtime, which gives the client IP: `getConnInfo`
   * from `@hono/node-server/conninfo`, `hono/bun`, `hono/deno` or `hono/cloudflare-workers`.
   */
  readonly getConnInfo?: GetConnInfo | undefined;
  /** Instead of `getConnInfo`: the client IP read from the context (behind a proxy you trust). */
  readonly ip?: ((c: Context) => string | null | undefined) | undefined;
  /** Called instead of sending the default `application/problem+json` response. */
  readonly onReject?: HonoRejectHandler | undefined;
}

/**
 * Hono middleware that verifies the request's API key, on any runtime Hono runs on. On success it
 * sets `c.get('apiKey')` and the rate-limit headers, then calls `next()`; on rejection it answers
 * with the rejection's status, headers and `application/problem+json` body (or `onReject`'s
 * response). Options are checked here, so a bad scope throws at startup. Mount it per route for
 * per-route requirements. Without `getConnInfo` or `ip` there is no client IP, and keys with an
 * IP allow-list are refused. A request already verified by an earlier `apiKeyAuth` (or
 * `withApiKey`) of the same keyward (`app.use('/api/*', apiKeyAuth(keyward))`) is not verified or
 * charged again: this one checks its own scopes and anyScopes, and charges only a `cost` it names
 * (see `Keyward.verifyOnce`; the mark is on `c.req.raw`).
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { getConnInfo } from 'hono/bun';
 * import { apiKeyAuth } from '@keyward/hono';
 *
 * const app = new Hono();
 * app.use('/api/*', apiKeyAuth(keyward, { getConnInfo }));
 * app.delete('/api/invoices/:id', apiKeyAuth(keyward, { scopes: ['invoices:write'], getConnInfo }), (c) =>
 *   c.json({ deletedBy: c.get('apiKey').id }),
 * );
 * ```
 */
export function apiKeyAuth(keyward: Keyward, options: ApiKeyAuthOptions = {}): MiddlewareHandler {
  const { verifyOptions, onReject } = prepareAdapterOptions(
    keyward,
    options,
    'apiKeyAuth() needs a Keyward instance from createKeyward()',
    ['getConnInfo', 'ip'],
  );
  const { getConnInfo, ip } = options;
  if (getConnInfo !== undefined && typeof getConnInfo !== 'function') {
    throw new TypeError('getConnInfo must be the function Hono exports for your runtime');
  }
  if (ip !== undefined && typeof ip !== 'function') {
    throw new TypeError('ip must be a function of the context');
  }
  if (getConnInfo !== undefined && ip !== undefined) {
    throw new TypeError('give getConnInfo or ip, not both');
  }

  function clientIp(c: Context): string | undefined {
    if (ip !== undefined) return ip(c) ?? undefined;
    return getConnInfo?.(c).remote.address;
  }

  function settle(result: VerifyResult, c: Context, next: Next): ReturnType<MiddlewareHandler> {
    if (result.ok) {
      c.set('apiKey', result.key);
      const headers = result.headers;
      let any = false;
      for (const name in headers) {
        any = true;
        c.header(name, headers[name]);
      }
      // No limit, no headers: nothing to put back after the handler.
      if (!any) return next();
      // A handler that returns its own Response (not c.json & co.) drops the prepared headers.
      return next().then(() => {
        for (const name in headers) if (!c.res.headers.has(name)) c.header(name, headers[name]);
      });
    }
    if (onReject !== undefined) return Promise.resolve(onReject(result, c));
    c.status(result.status as 401);
    for (const name in result.headers) c.header(name, result.headers[name]);
    return Promise.resolve(c.body(JSON.stringify(result.body)));
  }

  return function keywardApiKeyAuth(c, next) {
    const request = c.req.raw;
    const result = keyward.verifyOnce(
      request,
      toVerifyRequest(request, clientIp(c)),
      verifyOptions,
    );
    return isPromiseLike(result)
      ? result.then((settled) => settle(settled, c, next))
      : settle(result, c, next);
  };
}
