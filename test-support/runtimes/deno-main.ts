// The table apps on Deno: `deno run --allow-net <bundle>` prints {"control":<port>} and serves
// control calls there.
import { getConnInfo } from 'hono/deno';
import { createHost, type RuntimeHandler } from './host.js';

interface DenoInfo {
  readonly remoteAddr: { readonly hostname: string };
}
interface DenoServer {
  readonly addr: { readonly port: number };
  shutdown(): Promise<void>;
}
declare const Deno: {
  serve(
    options: { hostname: string; port: number; onListen(): void },
    handler: RuntimeHandler,
  ): DenoServer;
};

const serve = (handler: RuntimeHandler, hostname: string) =>
  Deno.serve({ hostname, port: 0, onListen: () => undefined }, handler);

const host = createHost({
  peer: (_request, info: DenoInfo) => info.remoteAddr.hostname,
  getConnInfo,
  listen: async (handler, hostname) => {
    const server = serve(handler, hostname);
    return { port: server.addr.port, close: () => server.shutdown() };
  },
});
const control = serve((request) => host.call(request), '127.0.0.1');
console.log(JSON.stringify({ control: control.addr.port }));
