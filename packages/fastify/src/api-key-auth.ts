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
 * rejection reaches the error handler too. The route's handler does not run. If it returns (or its
 * Promise settles) without calling `reply.send`, the default problem response is sent.
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

/**
 * What a route requires of one registration: `first`, its compiled verify options when this
 * registration's hook is the first of its keyward to see the request, and `later`, what it checks
 * when another registration of the same keyward verified the request already (the same scopes;
 * the plugin's own `cost` only, since a route's `config.apiKey.cost` is charged by the first).
 * `false` when the route is open.
 */
type RouteRequirement = { readonly first: VerifyOptions; readonly later: VerifyOptions } | false;

/**
 * A route's requirement from its `config`: the plugin's defaults, `false` for `apiKey: false`, or
 * its `apiKey` options over the defaults (checked: a bad one throws a TypeError naming `where`).
 */
function routeRequirement(
  keyward: Keyward,
  defaults: RouteRequirement & object,
  config: unknown,
  where: string,
): RouteRequirement {
  const apiKey = (config as { apiKey?: unknown } | undefined)?.apiKey;
  if (apiKey === false) return false;
  if (apiKey === undefined) return defaults;
  if (typeof apiKey !== 'object' || apiKey === null) {
    throw new TypeError(`config.apiKey of ${where} must be an object or false`);
  }
  const first = prepareVerifyOptions(
    keyward,
    apiKey as VerifyOptions,
    defaults.first,
    [],
    `config.apiKey of ${where}`,
  );
  const later =
    (apiKey as VerifyOptions).cost === undefined
      ? first
      : prepareVerifyOptions(keyward, {
          scopes: first.scopes,
          anyScopes: first.anyScopes,
          keyType: first.keyType,
          cost: defaults.later.cost,
        });
  return { first, later };
}

/** `GET /items/:id`: a route's method and pattern from its config (never the client's URL). */
function routeName(config: object | undefined): string {
  const { method, url } = (config ?? {}) as { method?: unknown; url?: unknown };
  return `${String(method)} ${String(url)}`;
}

function sendProblem(reply: FastifyReply, result: VerifyRejection): void {
  reply.code(result.status);
  setHeaders(reply, result.headers);
  reply.send(JSON.stringify(result.body));
}

/**
 * Sends a verify result: the key and headers on success, the rejection otherwise. An `onReject`
 * that returns (or whose Promise settles) without sending the reply gets the default response
 * sent for it, so the request never hangs.
 */
function createSettle(onReject: FastifyRejectHandler | undefined) {
  return function settle(
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
      sendProblem(reply, result);
      return;
    }
    // Whether onReject called reply.send: `reply.sent` turns true only once the response has
    // ended, which onSend hooks (compression, say) can put off past onReject's return.
    let sendCalled = false;
    const ownSend = Object.hasOwn(reply, 'send');
    const send = reply.send;
    reply.send = function keywardSendCalled(this: FastifyReply, payload?: unknown) {
      sendCalled = true;
      return send.call(this, payload);
    };
    const restore = () => {
      if (ownSend) reply.send = send;
      else delete (reply as { send?: unknown }).send;
    };
    const sendUnlessSent = () => {
      restore();
      if (!sendCalled && !reply.sent) sendProblem(reply, result);
    };
    let returned: unknown;
    try {
      returned = onReject(result, request, reply);
    } catch (error) {
      restore();
      done(error as Error);
      return;
    }
    if (returned !== reply && isPromiseLike(returned)) {
      returned.then(sendUnlessSent, (error: unknown) => {
        restore();
        done(error as Error);
      });
      return;
    }
    sendUnlessSent();
  };
}

function setUp(fastify: FastifyInstance, options: ApiKeyAuthPluginOptions): void {
  const {
    keyward,
    verifyOptions: pluginOptions,
    onReject,
  } = prepareAdapterOptions(
    options?.keyward,
    options,
    'apiKeyAuth needs { keyward }: a Keyward instance from createKeyward()',
    // `keyward`, and the options Fastify's register() takes and passes on.
    ['keyward', 'prefix', 'logLevel', 'logSerializers'],
  );
  const defaults = { first: pluginOptions, later: pluginOptions };
  const settle = createSettle(onReject);
  if (!fastify.hasRequestDecorator('apiKey')) fastify.decorateRequest('apiKey', undefined);
  // Set on a request by this registration's per-route hooks, so its fallback (below) knows the
  // route was one it saw. A request decorator of its own: false on every new request.
  const seen = Symbol('keyward.seen');
  fastify.decorateRequest(seen as never, false as never);
  type Marked = FastifyRequest & { [seen]: boolean };

  function run(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
    requirement: RouteRequirement & object,
    route: string | undefined,
  ): void {
    const result = keyward.verifyOnce(
      request.raw,
      {
        headers: request.headers,
        rawHeaders: request.raw.rawHeaders,
        ip: request.ip,
        method: request.method,
        url: request.url,
        route,
      },
      requirement.first,
      requirement.later,
    );
    if (isPromiseLike(result)) {
      result.then((settled) => settle(settled, request, reply, done)).then(undefined, done);
      return;
    }
    settle(result, request, reply, done);
  }

  /** The `onRequest` hook of a guarded route, holding its compiled options and its URL template. */
  function hookFor(
    requirement: RouteRequirement & object,
    route: string | undefined,
  ): onRequestHookHandler {
    return function keywardOnRequest(
      request: FastifyRequest,
      reply: FastifyReply,
      done: HookHandlerDoneFunction,
    ): void {
      (request as Marked)[seen] = true;
      run(request, reply, done, requirement, route);
    } as onRequestHookHandler;
  }
  const openHook = function keywardOpenRoute(
    request: FastifyRequest,
    _reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    (request as Marked)[seen] = true;
    done();
  } as onRequestHookHandler;

  // Every route added after this plugin loaded: its options checked now (a bad one throws at
  // startup) and its own hook in front of its onRequest hooks, as before 2026-11-27.
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const requirement = routeRequirement(
      keyward,
      defaults,
      route.config,
      `${route.method} ${route.url}`,
    );
    // The template (prefix included) is read here, once per route, never per request.
    const hook =
      requirement === false
        ? openHook
        : hookFor(requirement, typeof route.url === 'string' ? route.url : undefined);
    const existing = route.onRequest;
    route.onRequest =
      existing === undefined
        ? [hook]
        : [hook, ...(Array.isArray(existing) ? existing : [existing])];
  });

  // Fail closed: a route of this context that the onRoute hook above never saw — one added
  // before this plugin loaded, as when `app.register(apiKeyAuth, …)` is not awaited — is still
  // guarded, here, before its body is parsed. On a route it saw, the check is one property read;
  // only unseen routes read their config (compiled once per route).
  const requirements = new WeakMap<object, RouteRequirement>();
  fastify.addHook('preParsing', function keywardUnseenRoute(
    request: FastifyRequest,
    reply: FastifyReply,
    _payload: unknown,
    done: HookHandlerDoneFunction,
  ): void {
    if ((request as Marked)[seen] || request.is404) {
      done();
      return;
    }
    const routeOptions = request.routeOptions;
    const config = routeOptions.config as object | undefined;
    let requirement = config === undefined ? undefined : requirements.get(config);
    if (requirement === undefined) {
      try {
        requirement = routeRequirement(keyward, defaults, config, routeName(config));
      } catch (error) {
        done(error as Error);
        return;
      }
      if (config !== undefined) requirements.set(config, requirement);
    }
    if (requirement === false) {
      done();
      return;
    }
    run(request, reply, done, requirement, routeOptions.url);
  } as never);
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
 * `onReject`). It guards every route of the context it is registered in and of its child
 * contexts, whether added before or after it (also when `register` was not awaited: a route it
 * never saw is verified in a `preParsing` hook), but not unknown URLs (404s); a route opts out
 * with `config: { apiKey: false }` or sets its own requirements with
 * `config: { apiKey: { scopes } }`. Bad options throw at registration, a bad route config when
 * the route is added (or, for a route added before the plugin loaded, at its first request). The
 * client IP is `request.ip`: set Fastify's `trustProxy` to match your proxies. Registered again in
 * a child context with the same keyward, the inner registration's hook runs first and verifies;
 * the outer one then checks only its own scopes and charges only a `cost` it names (see
 * `Keyward.verifyOnce`). An `onReject` that sends nothing gets the default response sent.
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
