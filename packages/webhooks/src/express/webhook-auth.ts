import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { callRejectHandler, isPromiseLike } from '../receive/async.js';
import type { WebhookRejection } from '../receive/problem.js';
import { parsedBody, readBody } from '../receive/read-body.js';
import {
  createReceiver,
  type ReceivedWebhook,
  type WebhookAuthOptions,
} from '../receive/receiver.js';

declare global {
  namespace Express {
    interface Request {
      /** The webhook `webhookAuth` verified for this request; unset on routes it does not guard. */
      webhook?: ReceivedWebhook;
    }
  }
}

/**
 * Replaces the default problem response. Respond through `res`, or call `next` (usually with an
 * error for your error handler). A throw, or a rejected returned Promise, reaches `next(err)`.
 *
 * @example
 * ```ts
 * app.post('/webhooks', webhookAuth({
 *   secrets,
 *   onReject: (rejection, _req, res) => res.status(rejection.status).json({ error: rejection.code }),
 * }), handler);
 * ```
 */
export type ExpressWebhookRejectHandler = (
  rejection: WebhookRejection,
  req: Request,
  res: Response,
  next: NextFunction,
) => unknown;

/**
 * Options of the Express {@link webhookAuth}: the common webhook options and `onReject`.
 *
 * @example
 * ```ts
 * const options: ExpressWebhookAuthOptions = { secrets: [process.env.WEBHOOK_SECRET!], toleranceSeconds: 300 };
 * ```
 */
export interface ExpressWebhookAuthOptions extends WebhookAuthOptions {
  /** Called instead of sending the default `application/problem+json` response. */
  readonly onReject?: ExpressWebhookRejectHandler | undefined;
}

/**
 * Express middleware (Express 4 and 5) that verifies Standard Webhooks on the raw bytes of the
 * body: it reads the body itself (or takes the Buffer `express.raw()` left in `req.body`), so
 * mount it before any JSON parser on its route. On success it sets `req.webhook` (`id`,
 * `timestamp`, `rawBody`) and `req.body` (parsed JSON for a JSON content type, else the bytes) and
 * calls `next()`; on rejection it answers with an `application/problem+json` body carrying the
 * code (or calls `onReject`). A replayed `webhook-id` is refused (`409 replayed`) through the
 * `seenIds` store; an id whose handler did not answer 2xx is forgotten, so the sender's retry is
 * processed. Bad options throw here, at startup.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { webhookAuth } from '@keyward/webhooks/express';
 *
 * const app = express();
 * app.post('/webhooks/keyward', webhookAuth({ secrets: [process.env.WEBHOOK_SECRET!] }), (req, res) => {
 *   console.log('alert', req.webhook?.id, req.body.kind);
 *   res.sendStatus(204);
 * });
 * app.use(express.json()); // other routes may parse JSON as usual
 * ```
 */
export function webhookAuth(options: ExpressWebhookAuthOptions): RequestHandler {
  const receiver = createReceiver(options, 'webhookAuth()');
  const onReject = options.onReject;
  if (onReject !== undefined && typeof onReject !== 'function') {
    throw new TypeError('onReject must be a function');
  }

  function refuse(rejection: WebhookRejection, req: Request, res: Response, next: NextFunction) {
    if (onReject === undefined) {
      res.statusCode = rejection.status;
      for (const name in rejection.headers) res.setHeader(name, rejection.headers[name]!);
      res.end(JSON.stringify(rejection.body));
      return;
    }
    callRejectHandler(() => onReject(rejection, req, res, next), next);
  }

  function settle(
    result: ReceivedWebhook | WebhookRejection,
    req: Request,
    res: Response,
    next: NextFunction,
  ): void {
    if ('code' in result) {
      refuse(result, req, res, next);
      return;
    }
    const parsed = parsedBody(result.rawBody, req.headers['content-type']);
    if (parsed === 'malformed') {
      refuse(receiver.reject('malformed'), req, res, next);
      return;
    }
    req.webhook = result;
    req.body = parsed.body;
    next();
  }

  function verify(rawBody: Buffer, req: Request, res: Response, next: NextFunction): void {
    if (rawBody.length > receiver.maxBodyBytes) {
      refuse(receiver.tooLarge, req, res, next);
      return;
    }
    const result = receiver.accept(req.headers, rawBody, res);
    if (isPromiseLike(result)) {
      result.then((settled) => settle(settled, req, res, next)).then(undefined, next);
      return;
    }
    settle(result, req, res, next);
  }

  return function keywardWebhookAuth(req: Request, res: Response, next: NextFunction): void {
    if (Buffer.isBuffer(req.body)) {
      verify(req.body, req, res, next);
      return;
    }
    if (req.readableEnded) {
      next(
        new TypeError(
          'webhookAuth(): the request body was already read by another body parser; ' +
            'mount webhookAuth before express.json() on its route (or use express.raw())',
        ),
      );
      return;
    }
    if (receiver.declaredTooLarge(req.headers['content-length'])) {
      refuse(receiver.tooLarge, req, res, next);
      return;
    }
    readBody(req, receiver.maxBodyBytes)
      .then((body) => {
        if (body === 'aborted') return;
        if (body === 'too_large') refuse(receiver.tooLarge, req, res, next);
        else verify(body, req, res, next);
      })
      .then(undefined, next);
  };
}
