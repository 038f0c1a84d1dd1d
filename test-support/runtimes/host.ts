/**
 * The table apps, as they run inside another runtime (Bun, Deno, workerd): deployments built from
 * their JSON specs, apps serving the tables' routes through @keyward/fetch or @keyward/hono, and
 * the control calls the test process drives them with. Web-standard APIs only: this file is
 * bundled (see `remote.ts`) with one of the runtime entries beside it.
 */
import type { CreateKeyOptions, Keyward, UpdateKeyOptions } from '@keyward/core';
import { getApiKey, withApiKey } from '@keyward/fetch';
import { apiKeyAuth } from '@keyward/hono';
import { type Context, Hono } from 'hono';
import type { GetConnInfo } from 'hono/conninfo';
import {
  buildDeployment,
  type DeploymentSpec,
  FORGED_KEY,
  type LocalDeployment,
} from '../deployments.js';

/** Which adapter serves the apps. */
export type Framework = 'fetch' | 'hono';

/** How an app is served: the tables' harness options, the adapter, and which routes. */
export interface AppOptions {
  readonly trustOneProxy: boolean;
  readonly host: '127.0.0.1' | '::';
  readonly framework: Framework;
  /** The adapter and attack tables' routes, or the layered-guard routes (`layered-cases.ts`). */
  readonly app: 'table' | 'layered';
}

/** A fetch handler as the runtime calls it: the request and the runtime's own arguments. */
export type RuntimeHandler = (request: Request, ...args: never[]) => Response | Promise<Response>;

/** What a runtime entry gives the host. */
export interface Runtime {
  /** The socket address of the client, from the handler's arguments (or the edge's header). */
  peer(request: Request, ...args: never[]): string | undefined;
  /** Hono's connection-info helper for this runtime. */
  readonly getConnInfo: GetConnInfo;
  /** Serves `handler` on `host`, port 0 (or a free slot); resolves with the port. */
  listen(handler: RuntimeHandler, host: AppOptions['host']): Promise<Listener>;
}

export interface Listener {
  readonly port: number;
  close(): Promise<void>;
}

/** Behind exactly one trusted proxy: the right-most X-Forwarded-For entry, as Express's `trust proxy 1`. */
export function forwardedFor(request: Request): string | undefined {
  const forwarded = request.headers.get('x-forwarded-for');
  if (forwarded === null) return undefined;
  return forwarded.slice(forwarded.lastIndexOf(',') + 1).trim();
}

/**
 * The tables' app on @keyward/fetch: `/open`, `/read` and `/admin` routed by hand.
 *
 * @example
 * ```ts
 * const handler = fetchTableApp(keyward, (request, server) => server.requestIP(request)?.address);
 * ```
 */
export function fetchTableApp(
  keyward: Keyward,
  ip: (request: Request, ...args: never[]) => string | undefined,
): RuntimeHandler {
  const answer = (request: Request) => Response.json({ keyId: getApiKey(request)?.id });
  const read = withApiKey<never[]>(answer, keyward, { scopes: ['items:read'], ip });
  const admin = withApiKey<never[]>(answer, keyward, { scopes: ['items:admin'], ip });
  return (request, ...args) => {
    const path = new URL(request.url).pathname;
    if (path === '/read') return read(request, ...args);
    if (path === '/admin') return admin(request, ...args);
    if (path === '/open') return new Response('open');
    return new Response('not found', { status: 404 });
  };
}

/**
 * The tables' app on Hono: the client IP from Hono's `getConnInfo`, or behind one trusted proxy
 * from the right-most X-Forwarded-For entry.
 *
 * @example
 * ```ts
 * const app = honoTableApp(keyward, getConnInfo, false);
 * ```
 */
export function honoTableApp(keyward: Keyward, getConnInfo: GetConnInfo, trustOneProxy: boolean) {
  const ip = trustOneProxy
    ? { ip: (c: Context) => forwardedFor(c.req.raw) ?? getConnInfo(c).remote.address }
    : { getConnInfo };
  const app = new Hono();
  app.get('/open', (c) => c.text('open'));
  app.get('/read', apiKeyAuth(keyward, { scopes: ['items:read'], ...ip }), (c) =>
    c.json({ keyId: c.get('apiKey').id }),
  );
  app.get('/admin', apiKeyAuth(keyward, { scopes: ['items:admin'], ...ip }), (c) =>
    c.json({ keyId: c.get('apiKey').id }),
  );
  return app;
}

/** Where the layered-guard cases' app forges a verified key on a fetch `Request`. */
const FORGED_MARK = Symbol.for('keyward.verified');

/**
 * The layered-guard routes (see `layered-cases.ts`) on @keyward/fetch: an outer `withApiKey`
 * around an inner one, per route.
 *
 * @example
 * ```ts
 * const handler = fetchLayeredApp(keyward, other);
 * ```
 */
export function fetchLayeredApp(keyward: Keyward, other: Keyward): RuntimeHandler {
  const show = (request: Request) => Response.json({ keyId: getApiKey(request)?.id });
  const api = (inner: RuntimeHandler) => withApiKey<never[]>(inner, keyward);
  const paid = (inner: RuntimeHandler) => withApiKey<never[]>(inner, keyward, { cost: 2 });
  const admin = withApiKey<never[]>(show, keyward, { scopes: ['items:admin'] });
  const routes: Record<string, RuntimeHandler> = {
    '/api/read': api(withApiKey(show, keyward, { scopes: ['items:read'] })),
    '/api/admin': api(admin),
    '/api/any': api(withApiKey(show, keyward, { anyScopes: ['items:admin', 'items:read'] })),
    '/api/costly': api(withApiKey(show, keyward, { cost: 3 })),
    '/api/other': api(withApiKey(show, other)),
    '/paid/read': paid(withApiKey(show, keyward, { scopes: ['items:read'] })),
    '/paid/costly': paid(withApiKey(show, keyward, { cost: 3 })),
    '/spoofed': (request, ...args) => {
      Object.defineProperty(request, FORGED_MARK, { value: FORGED_KEY });
      return admin(request, ...args);
    },
  };
  return (request, ...args) => {
    const route = routes[new URL(request.url).pathname];
    return route === undefined
      ? new Response('not found', { status: 404 })
      : route(request, ...args);
  };
}

/**
 * The layered-guard routes (see `layered-cases.ts`) on Hono: `app.use('/api/*', apiKeyAuth(…))`
 * plus a guard per route.
 *
 * @example
 * ```ts
 * const app = honoLayeredApp(keyward, other);
 * ```
 */
export function honoLayeredApp(keyward: Keyward, other: Keyward) {
  const show = (c: Context) => c.json({ keyId: c.get('apiKey').id });
  const app = new Hono();
  app.use('/api/*', apiKeyAuth(keyward));
  app.get('/api/read', apiKeyAuth(keyward, { scopes: ['items:read'] }), show);
  app.get('/api/admin', apiKeyAuth(keyward, { scopes: ['items:admin'] }), show);
  app.get('/api/any', apiKeyAuth(keyward, { anyScopes: ['items:admin', 'items:read'] }), show);
  app.get('/api/costly', apiKeyAuth(keyward, { cost: 3 }), show);
  app.get('/api/other', apiKeyAuth(other), show);
  app.use('/paid/*', apiKeyAuth(keyward, { cost: 2 }));
  app.get('/paid/read', apiKeyAuth(keyward, { scopes: ['items:read'] }), show);
  app.get('/paid/costly', apiKeyAuth(keyward, { cost: 3 }), show);
  app.get(
    '/spoofed',
    async (c, next) => {
      c.set('apiKey', FORGED_KEY);
      await next();
    },
    apiKeyAuth(keyward, { scopes: ['items:admin'] }),
    show,
  );
  return app;
}

/**
 * An app that answers every request with the headers its handler was given, as JSON: the
 * key headers as `headers.get` reads them (what keyward reads), and every entry iteration gives
 * (`[...request.headers]`): what the runtime made of the lines sent (see `repeated-lines.ts`).
 *
 * @example
 * ```ts
 * Bun.serve({ port: 0, fetch: echoHeaders });
 * ```
 */
export const echoHeaders: RuntimeHandler = (request) =>
  Response.json({
    authorization: request.headers.get('authorization'),
    'x-api-key': request.headers.get('x-api-key'),
    entries: [...request.headers],
  });

/**
 * The control side: builds deployments and apps on request. `call` takes one JSON control call
 * (`{ method, args }`) and answers `{ value }` or `{ error }`.
 */
export function createHost(runtime: Runtime) {
  const deployments: LocalDeployment[] = [];
  const listeners = new Map<number, Listener>();
  const deployment = (id: number) => {
    const found = deployments[id];
    if (found === undefined) throw new Error(`no deployment ${id}`);
    return found;
  };

  const methods: Record<string, (...args: never[]) => unknown> = {
    deploy: (spec: DeploymentSpec) => deployments.push(buildDeployment(spec)) - 1,
    create: async (id: number, options: CreateKeyOptions) => {
      const { key, record } = await deployment(id).keyward.create(options);
      return { key, record: { id: record.id } };
    },
    revoke: async (id: number, keyId: string, options?: { reason?: string }) => {
      await deployment(id).keyward.revoke(keyId, options);
    },
    update: async (id: number, keyId: string, changes: UpdateKeyOptions) => {
      await deployment(id).keyward.update(keyId, changes);
    },
    advanceClock: (id: number, ms: number) => {
      const { clock } = deployment(id);
      if (clock === undefined) throw new Error(`deployment ${id} has no fake clock`);
      clock.advance(ms);
    },
    storeReads: (id: number) => deployment(id).storeReads(),
    serve: async (id: number, options: AppOptions) => {
      const target = deployment(id);
      const ip = (request: Request, ...args: never[]) =>
        (options.trustOneProxy ? forwardedFor(request) : undefined) ??
        runtime.peer(request, ...args);
      let handler: RuntimeHandler;
      if (options.app === 'layered') {
        const { keyward, other } = target;
        if (other === undefined) throw new Error(`deployment ${id} has no twin`);
        handler =
          options.framework === 'hono'
            ? (honoLayeredApp(keyward, other).fetch as RuntimeHandler)
            : fetchLayeredApp(keyward, other);
      } else {
        handler =
          options.framework === 'hono'
            ? (honoTableApp(target.keyward, runtime.getConnInfo, options.trustOneProxy)
                .fetch as RuntimeHandler)
            : fetchTableApp(target.keyward, ip);
      }
      const listener = await runtime.listen(handler, options.host);
      listeners.set(listener.port, listener);
      return listener.port;
    },
    serveEcho: async () => {
      const listener = await runtime.listen(echoHeaders, '127.0.0.1');
      listeners.set(listener.port, listener);
      return listener.port;
    },
    close: async (port: number) => {
      await listeners.get(port)?.close();
      listeners.delete(port);
    },
  };

  return {
    async call(request: Request): Promise<Response> {
      try {
        const { method, args } = (await request.json()) as { method: string; args: never[] };
        const run = methods[method];
        if (run === undefined) throw new Error(`no control method ${method}`);
        return Response.json({ value: (await run(...args)) ?? null });
      } catch (error) {
        return Response.json({ error: String((error as Error)?.stack ?? error) }, { status: 500 });
      }
    },
  };
}
