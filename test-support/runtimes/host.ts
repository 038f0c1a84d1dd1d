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
import { buildDeployment, type DeploymentSpec, type LocalDeployment } from '../deployments.js';

/** Which adapter serves the apps. */
export type Framework = 'fetch' | 'hono';

/** How an app is served: the tables' harness options, and the adapter. */
export interface AppOptions {
  readonly trustOneProxy: boolean;
  readonly host: '127.0.0.1' | '::';
  readonly framework: Framework;
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
      const handler =
        options.framework === 'hono'
          ? (honoTableApp(target.keyward, runtime.getConnInfo, options.trustOneProxy)
              .fetch as RuntimeHandler)
          : fetchTableApp(target.keyward, ip);
      const listener = await runtime.listen(handler, options.host);
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
