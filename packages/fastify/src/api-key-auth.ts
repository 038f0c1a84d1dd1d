import {
  isPromiseLike,
  type KeyInfo,
  type Keyward,
  prepareAdapterOptions,
  prepareVerifyOptions,
  type ResponseHeaders,
  type VerifyOptions,
  type VerifyRejection,
  type VerifyResult,
} from '@keyward/core';
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestHookHandler,
  RouteOptions,
} from 'fastify';
import fp from 'fastify-plugin';

/**
 * What a route requires, in its `config.apiKey`; each field given replaces the plugin's.
 *
 * @example
 * ```ts
 * app.get('/invoices', { config: { apiKey: { scopes: ['invoices:read'] } } }, handler);
 * ```
 */
export type RouteApiKeyOptions = VerifyOptions;

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key `apiKeyAuth` verified for this request; unset on routes it does not guard. */
    apiKey?: KeyInfo;
  }
  interface FastifyContextConfig {
    /** This route's key requirements, or `false` to leave the route open. */
    apiKey?: RouteApiKeyOptions | false;
  }
}

/**
 * Replaces the default problem response. Send the reply (`reply.code(…).headers(…).send(…)`),
 * or throw to hand an error to Fastify's error handler; a returned Promise is awaited and its
 * rejection reaches the error handler too. The route's handler does not run.
 * `result.headers` holds what the response should carry (`WWW-Authenticate`, `Retry-After`, …).
 *
 * @example
 * ```ts
 * await app.register(apiKeyAuth, {
 *   keyward,
 *   onReject: (result, _request, reply) => reply.code(result.status).headers(result.headers).send({ error: result.code }),
 * });
 * ```
 */
export type FastifyRejectHandler = (
  result: VerifyRejection,
  request: FastifyRequest,
  reply: FastifyReply,
) => unknown;

/**
 * Options of the {@link apiKeyAuth} plugin: the keyward instance, what every route in the
 * context requires by default, and how rejections are sent.
 *
 * @example
 * ```ts
 * await app.register(apiKeyAuth, { keyward, scopes: ['invoices:read'] });
 * ```
 */
export interface ApiKeyAuthPluginOptions extends VerifyOptions {
  readonly keyward: Keyward;
  /** Called instead of sending the default `application/problem+json` response. */
  readonly onReject?: FastifyRejectHandler | undefined;
}

function setHeaders(reply: FastifyReply, headers: ResponseHeaders): void {
  for (const name in headers) reply.header(name, headers[name]!);
}

/** One `onRequest` hook per guarded route, holding that route's compiled options. */
function createHook(
  keyward: Keyward,
  verifyOptions: VerifyOptions,
  onReject: FastifyRejectHandler | undefined,
): onRequestHookHandler {
  function settle(
    result: VerifyResult,
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    if (result.ok) {
      request.apiKey = result.key;
      setHeaders(reply, result.headers);
      done();
      return;
    }
    if (onReject === undefined) {
      reply.code(result.status);
      setHeaders(reply, result.headers);
      reply.send(JSON.stringify(result.body));
      return;
    }
    let returned: unknown;
    try {
      returned = onReject(result, request, reply);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (returned !== reply && isPromiseLike(returned)) returned.then(undefined, done);
  }

  return function keywardOnRequest(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    const result = keyward.verify(
      {
        headers: request.headers,
        rawHeaders: request.raw.rawHeaders,
        ip: request.ip,
        method: request.method,
        url: request.url,
      },
      verifyOptions,
    );
    if (isPromiseLike(result)) {
      result.then((settled) => settle(settled, request, reply, done)).then(undefined, done);
      return;
    }
    settle(result, request, reply, done);
  } as onRequestHookHandler;
}

function setUp(fastify: FastifyInstance, options: ApiKeyAuthPluginOptions): void {
  const {
    keyward,
    verifyOptions: defaults,
    onReject,
  } = prepareAdapterOptions(
    options?.keyward,
    options,
    'apiKeyAuth needs { keyward }: a Keyward instance from createKeyward()',
  );
  const defaultHook = createHook(keyward, defaults, onReject);
  if (!fastify.hasRequestDecorator('apiKey')) fastify.decorateRequest('apiKey', undefined);

  fastify.addHook('onRoute', (route: RouteOptions) => {
    const config = route.config?.apiKey;
    if (config === false) return;
    let hook = defaultHook;
    if (config !== undefined) {
      if (typeof config !== 'object' || config === null) {
        throw new TypeError(
          `config.apiKey of ${route.method} ${route.url} must be an object or false`,
        );
      }
      const verifyOptions = prepareVerifyOptions(keyward, config, defaults);
      hook = createHook(keyward, verifyOptions, onReject);
    }
    const existing = route.onRequest;
    route.onRequest =
      existing === undefined
        ? [hook]
        : [hook, ...(Array.isArray(existing) ? existing : [existing])];
  });
}

const plugin: FastifyPluginCallback<ApiKeyAuthPluginOptions> = (fastify, options, done) => {
  try {
    setUp(fastify, options);
  } catch (error) {
    done(error as Error);
    return;
  }
  done();
};

/**
 * Fastify plugin (Fastify 4 and 5) that verifies API keys in an `onRequest` hook, before the
 * body is parsed. On success it sets `request.apiKey` and the rate-limit headers; on rejection
 * it replies with the rejection's status, headers and `application/problem+json` body (or calls
 * `onReject`). It guards every route registered after it in the context it is registered in
 * (and that context's children); a route opts out with `config: { apiKey: false }` or sets its
 * own requirements with `config: { apiKey: { scopes } }`. Bad options throw at registration, a
 * bad route config when the route is added. The client IP is `request.ip`: set Fastify's
 * `trustProxy` to match your proxies.
 *
 * @example
 * ```ts
 * import { apiKeyAuth } from '@keyward/fastify';
 *
 * await app.register(apiKeyAuth, { keyward });
 * app.get('/health', { config: { apiKey: false } }, async () => 'ok');
 * app.get('/invoices', { config: { apiKey: { scopes: ['invoices:read'] } } }, async (request) => ({
 *   keyId: request.apiKey?.id,
 * }));
 * ```
 */
export const apiKeyAuth = fp(plugin, { fastify: '4.x || 5.x', name: '@keyward/fastify' });
