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

/**
 * The client IP as `req.ip` gives it. With `trust proxy` false (Express's default), Express
 * documents the client's IP address as `req.socket.remoteAddress`: read directly, it skips
 * `req.ip`'s proxy-addr pass, which parses `X-Forwarded-For` on every request only to ignore it.
 */
function clientIp(req: Request): string | undefined {
  return req.app?.settings?.['trust proxy'] === false ? req.socket?.remoteAddress : req.ip;
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
 * (see `Keyward.verifyOnce`).
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
    // The matched route's template, once Express routed the request (route-level middleware);
    // `app.use` middleware runs before any route matched, so there it is unknown.
    const routePath: unknown = req.route?.path;
    const result = keyward.verifyOnce(
      req,
      {
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        ip: clientIp(req),
        method: req.method,
        url: req.originalUrl,
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
