import {
  isPromiseLike,
  type KeyInfo,
  type Keyward,
  prepareAdapterOptions,
  type ResponseHeaders,
  type VerifyOptions,
  type VerifyRejection,
  type VerifyResult,
} from '@keyward/core';
import type { Context, Middleware, Next } from 'koa';

declare module 'koa' {
  interface DefaultState {
    /** The API key `apiKeyAuth` verified for this request; unset on routes it does not guard. */
    apiKey?: KeyInfo;
  }
}

/**
 * Replaces the default problem response. Respond through `ctx` (`ctx.status`, `ctx.set`,
 * `ctx.body`) or throw (`ctx.throw(result.status)`) to hand over to Koa's error handling. What it
 * returns (a Promise too) is what the middleware returns; downstream middleware does not run.
 * `result.headers` holds what the response should carry (`WWW-Authenticate`, `Retry-After`, …).
 *
 * @example
 * ```ts
 * app.use(apiKeyAuth(keyward, { onReject: (result, ctx) => ctx.throw(result.status, result.code) }));
 * ```
 */
export type KoaRejectHandler = (result: VerifyRejection, ctx: Context) => unknown;

/**
 * Options of {@link apiKeyAuth}: what the guarded routes require, and how rejections are sent.
 *
 * @example
 * ```ts
 * const options: ApiKeyAuthOptions = { anyScopes: ['invoices:read', 'invoices:admin'] };
 * ```
 */
export interface ApiKeyAuthOptions extends VerifyOptions {
  /** Called instead of sending the default `application/problem+json` response. */
  readonly onReject?: KoaRejectHandler | undefined;
}

/**
 * Straight onto Node's response, as `ctx.set` does in the end (skipping Koa's delegate is
 * measurably cheaper per request), and like `ctx.set` a no-op once the headers are sent: a store
 * that answered after something upstream already responded must not throw.
 */
function setHeaders(ctx: Context, headers: ResponseHeaders): void {
  const res = ctx.res;
  if (res.headersSent) return;
  for (const name in headers) res.setHeader(name, headers[name]!);
}

/**
 * The route template @koa/router matched (`ctx._matchedRoute`, with the router's prefix), or
 * undefined: not routed yet, a RegExp route, or a prefix-less `router.use` (a pattern, not a path).
 * A `router.use('/admin', …)` layer gives its mount path; with a prefix, its pattern tail is cut.
 */
const USE_LAYER_TAIL = '(?:\\/|$)';

function matchedRoute(ctx: Context): string | undefined {
  const route: unknown = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  if (typeof route !== 'string' || !route.startsWith('/')) return undefined;
  return route.endsWith(USE_LAYER_TAIL) ? route.slice(0, -USE_LAYER_TAIL.length) : route;
}

/**
 * Koa middleware (Koa 2 and 3) that verifies the request's API key. On success it sets
 * `ctx.state.apiKey` and the rate-limit headers and returns `next()`; on rejection it responds
 * with the rejection's status, headers and `application/problem+json` body (or calls
 * `onReject`). Options are checked here, so a bad scope throws at startup. The client IP is
 * `ctx.ip`: set `app.proxy` (and `app.maxIpsCount`) to match your proxies. A request already
 * verified by an earlier `apiKeyAuth` of the same keyward is not verified or charged again: this
 * one checks its own scopes and anyScopes, and charges only a `cost` it names (see
 * `Keyward.verifyOnce`).
 *
 * @example
 * ```ts
 * import { apiKeyAuth } from '@keyward/koa';
 *
 * app.use(apiKeyAuth(keyward, { scopes: ['invoices:read'] }));
 * app.use((ctx) => {
 *   ctx.body = { keyId: ctx.state.apiKey?.id };
 * });
 * ```
 */
export function apiKeyAuth(keyward: Keyward, options: ApiKeyAuthOptions = {}): Middleware {
  const { verifyOptions, onReject } = prepareAdapterOptions(
    keyward,
    options,
    'apiKeyAuth() needs a Keyward instance from createKeyward()',
  );

  function settle(result: VerifyResult, ctx: Context, next: Next): unknown {
    if (result.ok) {
      ctx.state.apiKey = result.key;
      setHeaders(ctx, result.headers);
      return next();
    }
    if (onReject !== undefined) return onReject(result, ctx);
    ctx.status = result.status;
    setHeaders(ctx, result.headers);
    ctx.body = JSON.stringify(result.body);
    return undefined;
  }

  return function keywardApiKeyAuth(ctx: Context, next: Next): unknown {
    const req = ctx.req;
    const result = keyward.verifyOnce(
      req,
      {
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        ip: ctx.ip,
        method: req.method,
        url: ctx.originalUrl,
        route: matchedRoute(ctx),
      },
      verifyOptions,
    );
    if (isPromiseLike(result)) return result.then((settled) => settle(settled, ctx, next));
    return settle(result, ctx, next);
  };
}
