// A small API on Bun.serve, guarded by @keyward/fetch. Run (after `pnpm build`):
//   bun run examples/bun/server.ts
// then try the curl lines it prints. PORT and HOST come from the environment.
import { createKeyward, MemoryStore } from '@keyward/core';
import { getApiKey, withApiKey } from '@keyward/fetch';

/** What Bun passes a handler besides the request: the part of `Bun.Server` used here. */
interface Server {
  requestIP(request: Request): { address: string } | null;
}

const items = [
  { id: 1, name: 'widget' },
  { id: 2, name: 'gadget' },
];

// MemoryStore keeps keys and limits in this process; see docs/stores.md for the others.
const keyward = createKeyward({ prefix: 'demo', store: new MemoryStore() });
const reader = await keyward.create({
  name: 'example reader',
  environment: 'test',
  scopes: ['items:read'],
  rateLimit: { capacity: 10, refillPerSecond: 1 },
});
const admin = await keyward.create({
  name: 'example admin',
  environment: 'test',
  scopes: ['items:*'],
  ips: ['127.0.0.1', '::1'], // only from this machine: Bun tells the client address below
});

// The client IP: the socket's address, from the server Bun passes every handler. Behind a
// reverse proxy, read the address your proxy sets instead (see docs/runtimes.md).
const ip = (request: Request, server: Server) => server.requestIP(request)?.address;

const listItems = withApiKey(
  (request: Request, _server: Server) => Response.json({ items, keyId: getApiKey(request)?.id }),
  keyward,
  { scopes: ['items:read'], ip },
);
const stats = withApiKey(
  (request: Request, _server: Server) =>
    Response.json({ count: items.length, keyId: getApiKey(request)?.id }),
  keyward,
  { scopes: ['items:admin'], ip },
);

const server = Bun.serve({
  port: Number(process.env.PORT ?? 3000),
  hostname: process.env.HOST ?? '127.0.0.1',
  routes: {
    '/': () => Response.json({ hello: 'open to everyone' }),
    '/items': listItems,
    '/admin/stats': stats,
  },
  fetch: () => Response.json({ error: 'not found' }, { status: 404 }),
});

const url = `http://${server.hostname}:${server.port}`;
console.log(`Bun example listening on ${url}

Keys issued for this run (in memory):
  read:  ${reader.key}
  admin: ${admin.key}

Try:
  curl -i ${url}/
  curl -i ${url}/items
  curl -i -H "Authorization: Bearer ${reader.key}" ${url}/items
  curl -i -H "Authorization: Bearer ${reader.key}" ${url}/admin/stats
  curl -i -H "X-API-Key: ${admin.key}" ${url}/admin/stats`);
