import type { Keyward } from '@keyward/core';
import { verifyRequest } from '@keyward/fetch';
import { AlertBuffer } from './alert-buffer.js';
import { ConsoleApi } from './api.js';
import { ASSETS, gzipBytes } from './assets.js';
import { SECURITY_HEADERS } from './headers.js';
import { type NodeHandler, type NodeHandlerOptions, toNodeHandler } from './node-handler.js';
import { indexHtml } from './page.js';
import { problemResponse } from './problem.js';

/**
 * Options of {@link createConsole}.
 *
 * @example
 * ```ts
 * const options: ConsoleOptions = { basePath: '/keyward', scopes: ['keyward:admin'], alertBufferSize: 500 };
 * ```
 */
export interface ConsoleOptions {
  /** Where the console is mounted: `''` (the root) or `/a/b`; default `/keyward`. */
  basePath?: string | undefined;
  /** The scopes an admin key must hold to sign in; default `['keyward:admin']`. */
  scopes?: readonly string[] | undefined;
  /** How many of the newest alerts the console keeps in memory (default 500). */
  alertBufferSize?: number | undefined;
}

/**
 * What a fetch runtime tells the console about a request beside the `Request`: the client IP
 * (checked against an admin key's IP allow-list; without one, such a key is refused).
 *
 * @example
 * ```ts
 * Bun.serve({ fetch: (request, server) => console.fetch(request, { ip: server.requestIP(request)?.address }) });
 * ```
 */
export interface ConsoleRequestInfo {
  ip?: string | undefined;
}

/**
 * The console returned by {@link createConsole}.
 *
 * @example
 * ```ts
 * const keywardConsole = createConsole(keyward, { basePath: '/keyward' });
 * app.use(keywardConsole.toNodeHandler()); // Express; or Bun.serve({ fetch: keywardConsole.fetch })
 * ```
 */
export interface KeywardConsole {
  /** The normalised base path (`''` or `/a/b`). */
  readonly basePath: string;
  /**
   * The fetch-style handler: the console's page, assets and JSON API under `basePath`, and
   * `404` for any other path. Bound: pass it around as is.
   */
  readonly fetch: (request: Request, info?: ConsoleRequestInfo) => Promise<Response>;
  /** Whether a path (`/keyward/api/keys`) is the console's. */
  handles(pathname: string): boolean;
  /**
   * A Node `(req, res, next?)` handler for Express, Koa, Fastify and `node:http`: requests
   * outside `basePath` go to `next()` (or get a 404 when there is none).
   */
  toNodeHandler(options?: NodeHandlerOptions): NodeHandler;
  /** Stops collecting alerts. */
  close(): void;
}

const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)*$/;
const DEFAULT_SCOPES = ['keyward:admin'];

/**
 * Creates the web console for a keyward instance, mounted at `basePath` in your own app.
 * Operators sign in with an admin key (scope `keyward:admin`, from `keyward create --admin`);
 * every change they make is in the audit trail with `actor: { type: 'console', id: <admin key id> }`.
 * Throws a TypeError naming a bad option.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createConsole } from '@keyward/console';
 *
 * const app = express();
 * const keywardConsole = createConsole(keyward, { basePath: '/keyward' });
 * app.use(keywardConsole.toNodeHandler()); // before any body parser
 * ```
 */
export function createConsole(keyward: Keyward, options: ConsoleOptions = {}): KeywardConsole {
  const basePath = options.basePath ?? '/keyward';
  if (typeof basePath !== 'string' || !BASE_PATH.test(basePath)) {
    throw new TypeError(
      "basePath must be '' or a path like /keyward (letters, digits, . _ ~ -), without a trailing slash",
    );
  }
  const scopes = [...(options.scopes ?? DEFAULT_SCOPES)];
  if (scopes.length === 0) throw new TypeError('scopes must name at least one scope');
  keyward.checkVerifyOptions({ scopes });
  const bufferSize = options.alertBufferSize ?? 500;
  if (!Number.isSafeInteger(bufferSize) || bufferSize < 1 || bufferSize > 100_000) {
    throw new TypeError('alertBufferSize must be an integer from 1 to 100000');
  }
  const alerts = new AlertBuffer(keyward, bufferSize);
  const api = new ConsoleApi(keyward, alerts, () => Date.now());
  const page = indexHtml(basePath);

  const handles = (pathname: string) =>
    pathname === basePath || pathname.startsWith(`${basePath}/`);

  const fetch = async (request: Request, info: ConsoleRequestInfo = {}): Promise<Response> => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return problemResponse(400, 'invalid_request', 'the request URL cannot be parsed');
    }
    if (!handles(url.pathname)) return problemResponse(404, 'not_found', 'not a console path');
    const rest = url.pathname.slice(basePath.length);
    if (rest.startsWith('/api/') || rest === '/api') {
      const outcome = await verifyRequest(keyward, request, { scopes, ip: info.ip });
      if (!outcome.ok) return withSecurityHeaders(outcome.response);
      return api.handle(request, url, rest.slice(4), { key: outcome.key });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return problemResponse(405, 'method_not_allowed', 'use GET here');
    }
    if (rest === '') {
      return new Response(null, {
        status: 308,
        headers: { ...SECURITY_HEADERS, location: `${basePath}/` },
      });
    }
    if (rest === '/') {
      return new Response(request.method === 'HEAD' ? null : page, {
        headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' },
      });
    }
    const asset = rest.startsWith('/assets/') ? ASSETS.get(rest.slice(8)) : undefined;
    if (asset === undefined) return problemResponse(404, 'not_found', 'no such console page');
    const gzip = /\bgzip\b/i.test(request.headers.get('accept-encoding') ?? '');
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      'content-type': asset.type,
      'cache-control': 'public, max-age=31536000, immutable',
      vary: 'accept-encoding',
    };
    if (gzip) headers['content-encoding'] = 'gzip';
    const body = request.method === 'HEAD' ? null : gzip ? gzipBytes(asset) : asset.text;
    return new Response(body as ConstructorParameters<typeof Response>[0], { headers });
  };

  const instance: KeywardConsole = {
    basePath,
    fetch,
    handles,
    toNodeHandler: (nodeOptions) => toNodeHandler(fetch, handles, nodeOptions),
    close: () => alerts.close(),
  };
  return instance;
}

/** A rejection from @keyward/fetch with the console's headers added (its own kept). */
function withSecurityHeaders(response: Response): Response {
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (!headers.has(name)) headers.set(name, value);
  }
  return new Response(response.body, { status: response.status, headers });
}
