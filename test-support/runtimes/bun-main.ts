// The table apps on Bun: `bun run <bundle>` prints {"control":<port>} and serves control calls there.
import { getConnInfo } from 'hono/bun';
import { createHost, type RuntimeHandler } from './host.js';

interface BunServer {
  readonly port: number;
  requestIP(request: Request): { address: string } | null;
  stop(closeActiveConnections?: boolean): Promise<void>;
}
declare const Bun: {
  serve(options: { hostname: string; port: number; fetch: RuntimeHandler }): BunServer;
};

const host = createHost({
  peer: (request, server: BunServer) => server.requestIP(request)?.address,
  getConnInfo,
  listen: async (handler, hostname) => {
    const server = Bun.serve({ hostname, port: 0, fetch: handler });
    return { port: server.port, close: () => server.stop(true) };
  },
});
const control = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch: (request) => host.call(request),
});
console.log(JSON.stringify({ control: control.port }));
