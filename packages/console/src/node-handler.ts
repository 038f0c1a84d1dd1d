import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_BODY_BYTES } from './input.js';

/**
 * Options of `toNodeHandler()`.
 *
 * @example
 * ```ts
 * app.use(keywardConsole.toNodeHandler({ ip: (req) => req.socket.remoteAddress }));
 * ```
 */
export interface NodeHandlerOptions {
  /**
   * The client IP of a request. Default: Express's `req.ip` when set (so its trust-proxy setting
   * applies), else the socket's address.
   */
  ip?: ((req: IncomingMessage) => string | undefined) | undefined;
}

/**
 * A Node request handler: `(req, res)` for `node:http`, `(req, res, next)` for Express/Connect.
 *
 * @example
 * ```ts
 * const handler: NodeHandler = keywardConsole.toNodeHandler();
 * http.createServer((req, res) => handler(req, res)).listen(3000);
 * ```
 */
export type NodeHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

type Fetch = (request: Request, info: { ip?: string | undefined }) => Promise<Response>;

interface FrameworkRequest extends IncomingMessage {
  /** Express: the URL before a mount path was cut off. */
  originalUrl?: string;
  /** Express: the client IP after its trust-proxy setting. */
  ip?: string;
  /** A body a framework already parsed. */
  body?: unknown;
}

/** Adapts the fetch handler to Node's `http` request and response. */
export function toNodeHandler(
  fetch: Fetch,
  handles: (pathname: string) => boolean,
  options: NodeHandlerOptions = {},
): NodeHandler {
  return function keywardConsoleHandler(req, res, next) {
    const request = req as FrameworkRequest;
    const path = request.originalUrl ?? request.url ?? '/';
    const query = path.indexOf('?');
    if (!handles(query === -1 ? path : path.slice(0, query))) {
      if (next !== undefined) next();
      else {
        res.statusCode = 404;
        res.end();
      }
      return;
    }
    serve(fetch, request, res, path, options).catch((error: unknown) => {
      if (next !== undefined) next(error);
      else if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else res.destroy();
    });
  };
}

async function serve(
  fetch: Fetch,
  req: FrameworkRequest,
  res: ServerResponse,
  path: string,
  options: NodeHandlerOptions,
): Promise<void> {
  const headers = new Headers();
  const raw = req.rawHeaders;
  try {
    for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  } catch {
    res.statusCode = 400;
    res.end();
    return;
  }
  const method = req.method ?? 'GET';
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (method !== 'GET' && method !== 'HEAD') init.body = await bodyOf(req);
  const request = new Request(`http://localhost${path.startsWith('/') ? '' : '/'}${path}`, init);
  const ip =
    options.ip !== undefined
      ? options.ip(req)
      : typeof req.ip === 'string'
        ? req.ip
        : req.socket?.remoteAddress;
  const response = await fetch(request, { ip });
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    res.setHeader(name, value);
  });
  const body = response.body === null ? undefined : new Uint8Array(await response.arrayBuffer());
  res.end(body);
}

/**
 * The request body: what a framework parsed already (re-serialised as JSON), or the stream's
 * bytes, at most one byte past the console's limit (enough for it to refuse the body as too large).
 */
async function bodyOf(req: FrameworkRequest): Promise<Uint8Array | string> {
  if (req.body !== undefined && (req.readableEnded || req.complete)) {
    return typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    if (size <= MAX_BODY_BYTES) {
      chunks.push(bytes.subarray(0, MAX_BODY_BYTES + 1 - size));
      size += Math.min(bytes.byteLength, MAX_BODY_BYTES + 1 - size);
    }
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return all;
}
