/** A node:http client for the receiver tests: raw bodies, chunked or not, big ones too. */
import { request } from 'node:http';

export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  json(): Record<string, unknown>;
}

export interface PostOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Send without content-length, in chunks of this many bytes. */
  readonly chunkBytes?: number;
  readonly method?: string;
}

/**
 * Sends one request (no keep-alive) and resolves with the answer as soon as it is complete, even
 * when the server stops reading the body early (a 413): write errors after that are ignored.
 */
export function post(url: string, options: PostOptions = {}): Promise<Answer> {
  const body =
    typeof options.body === 'string'
      ? Buffer.from(options.body, 'utf8')
      : (options.body ?? new Uint8Array(0));
  const headers: Record<string, string> = { ...options.headers };
  if (options.chunkBytes === undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: options.method ?? 'POST', agent: false, headers });
    req.setTimeout(15_000, () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', (error) => {
      if (answered) return;
      // The server may answer (a 413) and close while the body is still being written: the write
      // then fails, sometimes before the answer has been read. Give the answer a moment to end.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE' || code === 'ECONNRESET') {
        setTimeout(() => {
          if (!answered) reject(error);
        }, 1000).unref();
        return;
      }
      reject(error);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        answered = true;
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json: () => JSON.parse(text) as Record<string, unknown>,
        });
        req.destroy();
      });
    });
    if (options.chunkBytes === undefined) {
      req.end(body);
      return;
    }
    const step = options.chunkBytes;
    let at = 0;
    const writeMore = () => {
      while (at < body.length && !req.destroyed) {
        const chunk = body.subarray(at, at + step);
        at += step;
        if (!req.write(chunk)) {
          req.once('drain', writeMore);
          return;
        }
      }
      if (!req.destroyed) req.end();
    };
    writeMore();
  });
}
