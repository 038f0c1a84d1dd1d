import { type Agent, request } from 'node:http';

/** One request's outcome as the client saw it. */
export interface Outcome {
  /** Which request loop lane or route sent it (free-form label). */
  readonly label: string;
  /** `Date.now()` when it was sent. */
  readonly startedAt: number;
  /** Milliseconds until the response ended, or until the error. */
  readonly ms: number;
  /** HTTP status; 0 when the request failed without a response. */
  readonly status: number;
  /** The problem document's `code` on a rejection. */
  readonly code?: string | undefined;
  /** The client-side error code (ECONNRESET, ETIMEDOUT, …) when there was no response. */
  readonly error?: string | undefined;
}

/**
 * Sends `GET url` with the API key as a Bearer token, never throwing: a failure without a
 * response becomes an outcome with status 0 and `error`. Gives up after `timeoutMs`.
 *
 * @example
 * ```ts
 * const outcome = await probe(`${server.url}/items`, key, { label: 'items', agent });
 * expect(outcome.status).toBe(200);
 * ```
 */
export function probe(
  url: string,
  key: string,
  options: { label?: string; agent?: Agent; timeoutMs?: number } = {},
): Promise<Outcome> {
  const label = options.label ?? url;
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const done = (fields: { status: number; code?: string; error?: string }) =>
      resolve({ label, startedAt, ms: Date.now() - startedAt, ...fields });
    const req = request(url, {
      agent: options.agent ?? false,
      headers: { authorization: `Bearer ${key}` },
      timeout: options.timeoutMs ?? 10_000,
    });
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      done({ status: 0, error: error.code ?? 'error' }),
    );
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('error', (error: NodeJS.ErrnoException) =>
        done({ status: 0, error: error.code ?? 'error' }),
      );
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status < 400) return done({ status });
        try {
          const code = (JSON.parse(body) as { code?: unknown }).code;
          done({ status, ...(typeof code === 'string' ? { code } : {}) });
        } catch {
          done({ status });
        }
      });
    });
    req.end();
  });
}
