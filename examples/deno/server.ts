// A small API on Deno.serve, guarded by @keyward/fetch. Run (after `pnpm build`), from this folder:
//   deno run --allow-net --allow-env --node-modules-dir=manual server.ts
// then try the curl lines it prints. PORT and HOST come from the environment.
import { createKeyward, MemoryStore } from '@keyward/core';
import { getApiKey, withApiKey } from '@keyward/fetch';

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
  ips: ['127.0.0.1', '::1'], // only from this machine: Deno tells the client address below
});

// The client IP: the socket's address, from the info Deno passes every handler. Behind a
// reverse proxy, read the address your proxy sets instead (see docs/runtimes.md).
const ip = (_request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) =>
  info.remoteAddr.hostname;

const guarded = (scopes: string[], answer: (keyId?: string) => unknown) =>
  withApiKey(
    (request: Request, _info: Deno.ServeHandlerInfo<Deno.NetAddr>) =>
      Response.json(answer(getApiKey(request)?.id)),
    keyward,
    { scopes, ip },
  );
const routes: Record<
  string,
  (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Response | Promise<Response>
> = {
  '/': () => Response.json({ hello: 'open to everyone' }),
  '/items': guarded(['items:read'], (keyId) => ({ items, keyId })),
  '/admin/stats': guarded(['items:admin'], (keyId) => ({ count: items.length, keyId })),
};

const server = Deno.serve(
  {
    port: Number(Deno.env.get('PORT') ?? 3000),
    hostname: Deno.env.get('HOST') ?? '127.0.0.1',
    onListen: () => undefined,
  },
  (request, info) => {
    const route = routes[new URL(request.url).pathname];
    return route === undefined
      ? Response.json({ error: 'not found' }, { status: 404 })
      : route(request, info as Deno.ServeHandlerInfo<Deno.NetAddr>);
  },
);

const url = `http://${server.addr.hostname}:${server.addr.port}`;
console.log(`Deno example listening on ${url}

Keys issued for this run (in memory):
  read:  ${reader.key}
  admin: ${admin.key}

Try:
  curl -i ${url}/
  curl -i ${url}/items
  curl -i -H "Authorization: Bearer ${reader.key}" ${url}/items
  curl -i -H "Authorization: Bearer ${reader.key}" ${url}/admin/stats
  curl -i -H "X-API-Key: ${admin.key}" ${url}/admin/stats`);
