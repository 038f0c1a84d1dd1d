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
import type { NextFunction, Request, RequestHandler, Response } from 'express';

declare global {
  namespace Express {
    interface Request {
      /** The API key `apiKeyAuth` verified for this request; unset on routes it does not guard. */
      apiKey?: KeyInfo;
    }
  }
}

/**
 * Replaces the default problem response. Respond through `res`, or call `next` (usually with an
 * error for your error handler). A throw, or a rejected returned Promise, reaches `next(err)`.
 * `result.headers` holds what the response should carry (`WWW-Authenticate`, `Retry-After`, …).
 *
 * @example
 * ```ts
 * app.use(apiKeyAuth(keyward, {
 *   onReject: (result, _req, res) => res.status(result.status).set(result.headers).json({ error: result.code }),
 * }));
 * ```
 */
export type ExpressRejectHandler = (
  result: VerifyRejection,
  req: Request,
  res: Response,
  next: NextFunction,
) => unknown;

/**
 * Options of {@link apiKeyAuth}: what the guarded routes require, and how rejections are sent.
 *
 * @example
 * ```ts
 * const options: ApiKeyAuthOptions = { scopes: ['invoices:read'], cost: 1 };
 * ```
 */
export interface ApiKeyAuthOptions extends VerifyOptions {
  /** Called instead of sending the default `application/problem+json` response. */
  readonly onReject?: ExpressRejectHandler | undefined;
}

function setHeaders(res: Response, headers: ResponseHeaders): void {
  for (const name in headers) res.setHeader(name, headers[name]!);
}

/*
 * Express gives every request a hidden class of its own: it swaps the request's prototype, and V8
 * does not reuse the class that results. Each access to `req` is then one V8's inline caches have
 * never seen, and each property added to it makes V8 build yet another class. Two habits keep the
 * adapter's share of that small (measured in bench/http.mjs, docs/benchmarks.md):
 *
 * - Own data properties that Node or Express set (`method`, `rawHeaders`, `originalUrl`,
 *   `socket`) are read with keyed reads, which V8's generic keyed-load stub answers from the
 *   object's own layout; a named read calls into the runtime instead. (`headers`, `ip` and `app`
 *   live on prototypes, and `route` is often absent: those stay named reads, which fare no worse.)
 * - Nothing is added to `req` but `req.apiKey`. `keyward.verifyOnce` marks the request's
 *   `rawHeaders` array instead (see carrierOf).
 */
const METHOD: string = 'method';
const RAW_HEADERS: string = 'rawHeaders';
const ORIGINAL_URL: string = 'originalUrl';
const SOCKET: string = 'socket';
type Fields = Record<string, unknown>;

/**
 * The object `keyward.verifyOnce` marks as this request's verification: the request's
 * `rawHeaders` array, which Node's parser creates afresh for each request (also for each request
 * of one keep-alive connection; tested), so it lives exactly as long as the request, as a carrier
 * must. Adding the mark to it costs what it costs on any array; adding it to `req` made V8 build a
 * hidden class per request (≈ 2.7 % of Express's throughput in the http bench). A request without
 * the array is marked itself. Like `req` before it, the array must never serve two requests: a
 * hand-made request that reused a marked array would count as verified with the earlier key.
 */
function carrierOf(req: Request, rawHeaders: unknown): object {
  return Array.isArray(rawHeaders) ? rawHeaders : req;
}

/**
 * The client IP as `req.ip` gives it. With `trust proxy` false (Express's default), Express
 * documents the client's IP address as `req.socket.remoteAddress`: read directly, it skips
 * `req.ip`'s proxy-addr pass, which parses `X-Forwarded-For` on every request only to ignore it.
 */
function clientIp(req: Request): string | undefined {
  if (req.app?.settings?.['trust proxy'] !== false) return req.ip;
  return ((req as unknown as Fields)[SOCKET] as Request['socket'] | undefined)?.remoteAddress;
}

function sendProblem(res: Response, result: VerifyRejection): void {
  res.statusCode = result.status;
  setHeaders(res, result.headers);
  res.end(JSON.stringify(result.body));
}

/**
 * Express middleware (Express 4 and 5) that verifies the request's API key. On success it sets
 * `req.apiKey` and the rate-limit headers, then calls `next()`; on rejection it sends the
 * rejection's status, headers and `application/problem+json` body (or calls `onReject`).
 * Options are checked here, so a bad scope throws at startup. The client IP is `req.ip`: set
 * Express's `trust proxy` to match your proxies. A request already verified by an earlier
 * `apiKeyAuth` of the same keyward (`app.use('/api', apiKeyAuth(keyward))`) is not verified or
 * charged again: this one checks its own scopes and anyScopes, and charges only a `cost` it names
 * (see `Keyward.verifyOnce`; the mark of a verified request goes on `req.rawHeaders`, so nothing
 * but `req.apiKey` is added to `req`).
 *
 * @example
 * ```ts
 * import { apiKeyAuth } from '@keyward/express';
 *
 * app.use('/api', apiKeyAuth(keyward));
 * app.delete('/api/invoices/:id', apiKeyAuth(keyward, { scopes: ['invoices:write'] }), (req, res) => {
 *   res.json({ deletedBy: req.apiKey?.id });
 * });
 * ```
 */
export function apiKeyAuth(keyward: Keyward, options: ApiKeyAuthOptions = {}): RequestHandler {
  const { verifyOptions, onReject } = prepareAdapterOptions(
    keyward,
    options,
    'apiKeyAuth() needs a Keyward instance from createKeyward()',
  );

  function settle(result: VerifyResult, req: Request, res: Response, next: NextFunction): void {
    if (result.ok) {
      req.apiKey = result.key;
      setHeaders(res, result.headers);
      next();
      return;
    }
    if (onReject === undefined) {
      sendProblem(res, result);
      return;
    }
    let returned: unknown;
    try {
      returned = onReject(result, req, res, next);
    } catch (error) {
      next(error);
      return;
    }
    if (isPromiseLike(returned)) returned.then(undefined, next);
  }

  return function keywardApiKeyAuth(req: Request, res: Response, next: NextFunction): void {
    const fields = req as unknown as Fields;
    const rawHeaders = fields[RAW_HEADERS];
    // The matched route's template, once Express routed the request (route-level middleware);
    // `app.use` middleware runs before any route matched, so there it is unknown.
    const routePath: unknown = req.route?.path;
    const result = keyward.verifyOnce(
      carrierOf(req, rawHeaders),
      {
        headers: req.headers,
        rawHeaders: rawHeaders as string[] | undefined,
        ip: clientIp(req),
        method: fields[METHOD] as string | undefined,
        url: fields[ORIGINAL_URL] as string | undefined,
        route: typeof routePath === 'string' ? req.baseUrl + routePath : undefined,
      },
      verifyOptions,
    );
    if (isPromiseLike(result)) {
      result.then((settled) => settle(settled, req, res, next)).then(undefined, next);
      return;
    }
    settle(result, req, res, next);
  };
}
