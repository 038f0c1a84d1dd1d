import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A server listening on 127.0.0.1. */
export interface LoopbackServer {
  /** e.g. `http://127.0.0.1:40123` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves a request listener (an Express app) on 127.0.0.1, on a port of the system's choice.
 *
 * @example
 * ```ts
 * const server = await serveOnLoopback(app);
 * try { … } finally { await server.close(); }
 * ```
 */
export function serveOnLoopback(listener: RequestListener): Promise<LoopbackServer> {
  const server = createServer(listener);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
