// A small Express API guarded by @keyward/express. Run: node examples/express/server.mjs
// (after `pnpm build`), then try the curl lines it prints. PORT and HOST come from the environment.
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { createConsole } from '@keyward/console';
import { createKeyward, MemoryStore } from '@keyward/core';
import { apiKeyAuth } from '@keyward/express';
import express from 'express';

const items = [
  { id: 1, name: 'widget' },
  { id: 2, name: 'gadget' },
];

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
  });

  // The web console at /keyward/ (docs/console.md), and an admin key to sign in to it.
  const consoleAdmin = await keyward.create({
    name: 'console admin',
    environment: 'test',
    scopes: ['keyward:admin'],
  });
  const keywardConsole = createConsole(keyward, { basePath: '/keyward' });

  const app = express();
  app.use(keywardConsole.toNodeHandler()); // before any body parser
  // Behind one reverse proxy, let Express take the client IP from X-Forwarded-For:
  // app.set('trust proxy', 1);
  app.get('/', (_req, res) => {
    res.json({ hello: 'open to everyone' });
  });
  app.get('/items', apiKeyAuth(keyward, { scopes: ['items:read'] }), (req, res) => {
    res.json({ items, keyId: req.apiKey?.id });
  });
  app.get('/admin/stats', apiKeyAuth(keyward, { scopes: ['items:admin'] }), (req, res) => {
    res.json({ count: items.length, keyId: req.apiKey?.id });
  });

  const server = app.listen(port, host);
  await once(server, 'listening');
  const url = `http://${host}:${server.address().port}`;
  return {
    url,
    readKey: reader.key,
    adminKey: admin.key,
    consoleKey: consoleAdmin.key,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url, readKey, adminKey, consoleKey } = await start();
  console.log(`Express example listening on ${url}

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
