// A small Hono API guarded by @keyward/hono, served on Node by @hono/node-server. Run:
// node examples/hono/server.mjs (after `pnpm build`), then try the curl lines it prints. PORT and
// HOST come from the environment. The app itself (createApp) runs unchanged on Bun, Deno and
// Cloudflare Workers: give it that runtime's getConnInfo (see docs/runtimes.md).
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createConsole } from '@keyward/console';
import { createKeyward, MemoryStore } from '@keyward/core';
import { apiKeyAuth } from '@keyward/hono';
import { Hono } from 'hono';

const items = [
  { id: 1, name: 'widget' },
  { id: 2, name: 'gadget' },
];

/** The API: an open route, a read-scoped route, and admin routes under one guard. */
export function createApp(keyward, { getConnInfo }) {
  const app = new Hono();
  app.get('/', (c) => c.json({ hello: 'open to everyone' }));
  app.get('/items', apiKeyAuth(keyward, { scopes: ['items:read'], getConnInfo }), (c) =>
    c.json({ items, keyId: c.get('apiKey').id }),
  );
  // One guard for every admin route; each route can add its own requirements on top.
  app.use('/admin/*', apiKeyAuth(keyward, { scopes: ['items:admin'], getConnInfo }));
  app.get('/admin/stats', (c) => c.json({ count: items.length, keyId: c.get('apiKey').id }));
  return app;
}

/** Builds the API, issues a read key and an admin key, and listens. */
export async function start({
  port = Number(process.env.PORT ?? 3000),
  host = process.env.HOST ?? '127.0.0.1',
} = {}) {
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
    ips: ['127.0.0.1', '::1', '::ffff:127.0.0.1'], // only from this machine
  });

  // The web console at /keyward/ (docs/console.md), and an admin key to sign in to it.
  const consoleAdmin = await keyward.create({
    name: 'console admin',
    environment: 'test',
    scopes: ['keyward:admin'],
  });
  const keywardConsole = createConsole(keyward, { basePath: '/keyward' });
  const app = createApp(keyward, { getConnInfo });
  const toConsole = (c) => keywardConsole.fetch(c.req.raw, { ip: getConnInfo(c).remote.address });
  app.all('/keyward', toConsole);
  app.all('/keyward/*', toConsole);
  const { server, address } = await new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname: host }, (address) =>
      resolve({ server, address }),
    );
  });
  return {
    url: `http://${host}:${address.port}`,
    readKey: reader.key,
    adminKey: admin.key,
    consoleKey: consoleAdmin.key,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url, readKey, adminKey, consoleKey } = await start();
  console.log(`Hono example listening on ${url}

Keys issued for this run (in memory):
  read:  ${readKey}
  admin: ${adminKey}

Console: ${url}/keyward/  (sign in with ${consoleKey})

Try:
  curl -i ${url}/
  curl -i ${url}/items
  curl -i -H "Authorization: Bearer ${readKey}" ${url}/items
  curl -i -H "Authorization: Bearer ${readKey}" ${url}/admin/stats
  curl -i -H "X-API-Key: ${adminKey}" ${url}/admin/stats`);
}
