/**
 * A raw HTTP/1.1 client for the attack table: it writes the request bytes exactly as given, so
 * duplicate headers, odd bytes, CR/LF and oversized headers reach the server's parser unchanged
 * (node:http's client refuses most of them). Plus a loopback listener that takes the host.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { ANSWER_TIMEOUT_MS, type Reply, type RunningApp } from './adapter-cases.js';

/**
 * One header line. A string value is written one byte per char (latin1) and must not hold a
 * char above U+00FF; pass `utf8('…')` for Unicode text, as a real client would encode it.
 */
export type RawHeader = readonly [name: string, value: string | Buffer];

/** The reply to a raw request; `status` 0 means the server reset the connection unanswered. */
export interface RawReply extends Reply {
  /** The response's first line, e.g. `HTTP/1.1 431 Request Header Fields Too Large`. */
  readonly statusLine: string;
}

/** UTF-8 bytes of `text`, for header values carrying Unicode. */
export function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

function latin1(text: string): Buffer {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) {
      throw new TypeError(`raw header text holds U+${text.charCodeAt(i).toString(16)}: use utf8()`);
    }
  }
  return Buffer.from(text, 'latin1');
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function parseReply(bytes: Buffer): RawReply {
  const headEnd = bytes.indexOf('\r\n\r\n');
  const head = (headEnd === -1 ? bytes : bytes.subarray(0, headEnd)).toString('latin1');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string | string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else headers[name] = [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  let body = headEnd === -1 ? Buffer.alloc(0) : bytes.subarray(headEnd + 4);
  if (String(headers['transfer-encoding']).toLowerCase() === 'chunked') body = dechunk(body);
  const text = body.toString('utf8');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  return {
    status,
    statusLine,
    headers,
    text,
    json: () => JSON.parse(text) as Record<string, unknown>,
  };
}

/**
 * Sends `GET <path>` with exactly these header lines (after `Host`) and `Connection: close`, and
 * reads the reply until the server closes. Rejects when nothing complete arrives within
 * {@link ANSWER_TIMEOUT_MS}. A reset after a complete status line resolves with what came.
 *
 * @example
 * ```ts
 * const reply = await sendRaw(app.url, '/read', [['X-API-Key', key], ['X-API-Key', key]]);
 * ```
 */
export function sendRaw(
  baseUrl: string,
  path: string,
  headers: readonly RawHeader[],
): Promise<RawReply> {
  const url = new URL(baseUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const lines: Buffer[] = [latin1(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\n`)];
  for (const [name, value] of headers) {
    lines.push(latin1(`${name}: `), typeof value === 'string' ? latin1(value) : value);
    lines.push(latin1('\r\n'));
  }
  lines.push(latin1('Connection: close\r\n\r\n'));
  const request = Buffer.concat(lines);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(url.port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const bytes = Buffer.concat(chunks);
      if (bytes.length > 0 || error === undefined) resolve(parseReply(bytes));
      else if ((error as NodeJS.ErrnoException).code === 'ECONNRESET') resolve(parseReply(bytes));
      else reject(error);
    };
    const timer = setTimeout(
      () => finish(new Error(`no answer to GET ${path} within ${ANSWER_TIMEOUT_MS} ms`)),
      ANSWER_TIMEOUT_MS,
    );
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (error) =>
      (error as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : finish(error),
    );
    socket.end(request);
  });
}

/**
 * Serves a Node request listener on `host` (`127.0.0.1`, or `::` for IPv6 and IPv4-mapped
 * clients), port 0.
 *
 * @example
 * ```ts
 * const app = await listenOn(expressApp, '::');
 * ```
 */
export function listenOn(listener: RequestListener, host: string): Promise<RunningApp> {
  const server = createServer(listener);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${host.includes(':') ? '[::1]' : host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
