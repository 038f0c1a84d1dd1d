// The table apps on workerd, as a Worker module. A worker cannot open sockets: the config (see
// remote.ts) gives it a control socket and a few app sockets ("slots"), each injecting a header that
// names it and, as Cloudflare's edge does, a CF-Connecting-IP header with the client address.
import { getConnInfo } from 'hono/cloudflare-workers';
import { createHost, type RuntimeHandler } from './host.js';

interface Env {
  /** JSON: the port of each app slot, by slot name. */
  readonly SLOTS: string;
}

/** The header each socket of the config injects, naming its slot. */
const SLOT_HEADER = 'x-keyward-test-slot';
const apps = new Map<string, RuntimeHandler>();
let host: ReturnType<typeof createHost> | undefined;

function hostFor(env: Env) {
  const slots = Object.entries(JSON.parse(env.SLOTS) as Record<string, number>);
  return createHost({
    peer: (request) => request.headers.get('cf-connecting-ip') ?? undefined,
    getConnInfo,
    listen: async (handler, hostname) => {
      if (hostname !== '127.0.0.1') throw new Error('workerd slots listen on 127.0.0.1 only');
      const free = slots.find(([slot]) => !apps.has(slot));
      if (free === undefined) throw new Error('every workerd app slot is in use');
      const [slot, port] = free;
      apps.set(slot, handler);
      return { port, close: async () => void apps.delete(slot) };
    },
  });
}

export default {
  fetch(request: Request, env: Env, context: unknown): Response | Promise<Response> {
    const slot = request.headers.get(SLOT_HEADER) ?? '';
    if (slot === 'control') {
      host ??= hostFor(env);
      return host.call(request);
    }
    const app = apps.get(slot);
    if (app === undefined) return new Response(`no app on slot ${slot}`, { status: 503 });
    return (app as (request: Request, ...args: unknown[]) => Response | Promise<Response>)(
      request,
      env,
      context,
    );
  },
};
