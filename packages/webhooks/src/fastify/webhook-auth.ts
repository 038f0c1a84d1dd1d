import { Readable } from 'node:stream';
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import fp from 'fastify-plugin';
import { callRejectHandler, isPromiseLike } from '../receive/async.js';
import type { WebhookRejection } from '../receive/problem.js';
import { readBody } from '../receive/read-body.js';
import {
  createReceiver,
  type ReceivedWebhook,
  type WebhookAuthOptions,
} from '../receive/receiver.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The webhook `webhookAuth` verified for this request; unset on routes it does not guard. */
    webhook?: ReceivedWebhook;
  }
  interface FastifyContextConfig {
    /** `false` leaves this route of a guarded context unverified. */
    webhook?: false;
  }
}

/**
 * Replaces the default problem response. Send the reply, or throw to hand an error to Fastify's
 * error handler; a returned Promise's rejection reaches it too. The route's handler does not run.
 *
 * @example
 * ```ts
 * await scope.register(webhookAuth, {
 *   secrets,
 *   onReject: (rejection, _request, reply) => reply.code(rejection.status).send({ error: rejection.code }),
 * });
 * ```
 */
export type FastifyWebhookRejectHandler = (
  rejection: WebhookRejection,
  request: FastifyRequest,
  reply: FastifyReply,
) => unknown;

/**
 * Options of the Fastify {@link webhookAuth} plugin: the common webhook options and `onReject`.
 *
 * @example
 * ```ts
 * await scope.register(webhookAuth, { secrets: [process.env.WEBHOOK_SECRET!] });
 * ```
 */
export interface FastifyWebhookAuthOptions extends WebhookAuthOptions {
  /** Called instead of sending the default `application/problem+json` response. */
  readonly onReject?: FastifyWebhookRejectHandler | undefined;
}

/** The verified bytes, handed on to Fastify's own body parsing. */
function replay(rawBody: Buffer): Readable {
  const stream = Readable.from([rawBody]) as Readable & { receivedEncodedLength?: number };
  stream.receivedEncodedLength = rawBody.length;
  return stream;
}

function setUp(fastify: FastifyInstance, options: FastifyWebhookAuthOptions): void {
  const receiver = createReceiver(options, 'webhookAuth');
  const onReject = options.onReject;
  if (onReject !== undefined && typeof onReject !== 'function') {
    throw new TypeError('onReject must be a function');
  }
  if (!fastify.hasRequestDecorator('webhook')) fastify.decorateRequest('webhook', undefined);

  function refuse(
    rejection: WebhookRejection,
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    if (onReject === undefined) {
      reply.code(rejection.status).headers(rejection.headers).send(JSON.stringify(rejection.body));
      return;
    }
    callRejectHandler(() => onReject(rejection, request, reply), done, reply);
  }

  function settle(
    result: ReceivedWebhook | WebhookRejection,
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    if ('code' in result) {
      refuse(result, request, reply, done);
      return;
    }
    request.webhook = result;
    (done as (error: null, payload: Readable) => void)(null, replay(result.rawBody));
  }

  fastify.addHook('preParsing', function keywardWebhookAuth(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: Readable,
    done: HookHandlerDoneFunction,
  ): void {
    const continueWith = done as (error: Error | null, payload?: Readable) => void;
    if (request.is404 || request.routeOptions.config?.webhook === false) {
      continueWith(null, payload);
      return;
    }
    if (receiver.declaredTooLarge(request.headers['content-length'])) {
      refuse(receiver.tooLarge, request, reply, done);
      return;
    }
    readBody(payload, receiver.maxBodyBytes)
      .then((rawBody) => {
        if (rawBody === 'aborted') {
          continueWith(Object.assign(new Error('the request was aborted'), { statusCode: 400 }));
          return;
        }
        if (rawBody === 'too_large') {
          refuse(receiver.tooLarge, request, reply, done);
          return;
        }
        const result = receiver.accept(request.headers, rawBody, reply.raw);
        if (isPromiseLike(result)) {
          return result.then((settled) => settle(settled, request, reply, done));
        }
        settle(result, request, reply, done);
        return undefined;
      })
      .then(undefined, done);
  } as never);
}

const plugin: FastifyPluginCallback<FastifyWebhookAuthOptions> = (fastify, options, done) => {
  try {
    setUp(fastify, options);
  } catch (error) {
    done(error as Error);
    return;
  }
  done();
};

/**
 * Fastify plugin (Fastify 4 and 5) that verifies Standard Webhooks on the raw bytes of the body,
 * in a `preParsing` hook: it reads the payload stream, verifies it, and hands the same bytes on
 * to Fastify's body parsing, so `request.body` is parsed as usual and `request.webhook` holds
 * `id`, `timestamp` and `rawBody`. It guards every route of the context it is registered in (as
 * `@keyward/fastify` does): register it inside the plugin that holds your webhook routes, and
 * other routes keep their parsers untouched. A route opts out with `config: { webhook: false }`.
 * Rejections answer with an `application/problem+json` body carrying the code (or call
 * `onReject`); a replayed `webhook-id` is refused (`409 replayed`) through the `seenIds` store.
 * Keep `maxBodyBytes` within Fastify's `bodyLimit` (both default to 1 MiB).
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { webhookAuth } from '@keyward/webhooks/fastify';
 *
 * const app = Fastify();
 * await app.register(async (webhooks) => {
 *   await webhooks.register(webhookAuth, { secrets: [process.env.WEBHOOK_SECRET!] });
 *   webhooks.post('/webhooks/keyward', async (request, reply) => {
 *     console.log('alert', request.webhook?.id, request.body);
 *     return reply.code(204).send();
 *   });
 * });
 * ```
 */
export const webhookAuth = fp(plugin, {
  fastify: '4.x || 5.x',
  name: '@keyward/webhooks/fastify',
});
