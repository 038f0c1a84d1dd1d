import type { Context, Middleware, Next } from 'koa';
import type { WebhookRejection } from '../receive/problem.js';
import { parsedBody, readBody } from '../receive/read-body.js';
import {
  createReceiver,
  type ReceivedWebhook,
  type WebhookAuthOptions,
} from '../receive/receiver.js';

declare module 'koa' {
  interface DefaultState {
    /** The webhook `webhookAuth` verified for this request; unset on routes it does not guard. */
    webhook?: ReceivedWebhook;
  }
}

/**
 * Replaces the default problem response. Respond through `ctx`, or throw to hand over to Koa's
 * error handling. What it returns (a Promise too) is what the middleware returns; downstream
 * middleware does not run.
 *
 * @example
 * ```ts
 * app.use(webhookAuth({ secrets, onReject: (rejection, ctx) => ctx.throw(rejection.status, rejection.code) }));
 * ```
 */
export type KoaWebhookRejectHandler = (rejection: WebhookRejection, ctx: Context) => unknown;

/**
 * Options of the Koa {@link webhookAuth}: the common webhook options and `onReject`.
 *
 * @example
 * ```ts
 * const options: KoaWebhookAuthOptions = { secrets: [process.env.WEBHOOK_SECRET!], maxBodyBytes: 64 * 1024 };
 * ```
 */
export interface KoaWebhookAuthOptions extends WebhookAuthOptions {
  /** Called instead of sending the default `application/problem+json` response. */
  readonly onReject?: KoaWebhookRejectHandler | undefined;
}

/**
 * Koa middleware (Koa 2 and 3) that verifies Standard Webhooks on the raw bytes of the body,
 * which it reads from the request stream itself: put it before any body parser on its route. On
 * success it sets `ctx.state.webhook` (`id`, `timestamp`, `rawBody`) and `ctx.request.body`
 * (parsed JSON for a JSON content type, else the bytes) and returns `next()`; on rejection it
 * answers with an `application/problem+json` body carrying the code (or calls `onReject`). A
 * replayed `webhook-id` is refused (`409 replayed`) through the `seenIds` store; an id whose
 * handler did not answer 2xx is forgotten, so the sender's retry is processed. Bad options throw
 * here, at startup.
 *
 * @example
 * ```ts
 * import Router from '@koa/router';
 * import { webhookAuth } from '@keyward/webhooks/koa';
 *
 * const router = new Router();
 * router.post('/webhooks/keyward', webhookAuth({ secrets: [process.env.WEBHOOK_SECRET!] }), (ctx) => {
 *   console.log('alert', ctx.state.webhook?.id);
 *   ctx.status = 204;
 * });
 * ```
 */
export function webhookAuth(options: KoaWebhookAuthOptions): Middleware {
  const receiver = createReceiver(options, 'webhookAuth()');
  const onReject = options.onReject;
  if (onReject !== undefined && typeof onReject !== 'function') {
    throw new TypeError('onReject must be a function');
  }

  function refuse(rejection: WebhookRejection, ctx: Context): unknown {
    if (onReject !== undefined) return onReject(rejection, ctx);
    ctx.status = rejection.status;
    for (const name in rejection.headers) ctx.res.setHeader(name, rejection.headers[name]!);
    ctx.body = JSON.stringify(rejection.body);
    return undefined;
  }

  return async function keywardWebhookAuth(ctx: Context, next: Next): Promise<unknown> {
    const req = ctx.req;
    if (req.readableEnded) {
      throw new TypeError(
        'webhookAuth(): the request body was already read by another body parser; ' +
          'put webhookAuth before the body parser on its route',
      );
    }
    if (receiver.declaredTooLarge(req.headers['content-length'])) {
      return refuse(receiver.tooLarge, ctx);
    }
    const rawBody = await readBody(req, receiver.maxBodyBytes);
    if (rawBody === 'aborted') return undefined;
    if (rawBody === 'too_large') return refuse(receiver.tooLarge, ctx);
    const result = await receiver.accept(req.headers, rawBody, ctx.res);
    if ('code' in result) return refuse(result, ctx);
    const parsed = parsedBody(rawBody, req.headers['content-type']);
    if (parsed === 'malformed') return refuse(receiver.reject('malformed'), ctx);
    ctx.state.webhook = result;
    (ctx.request as { body?: unknown }).body = parsed.body;
    return next();
  };
}
