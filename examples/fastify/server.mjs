// A small Fastify API guarded by @keyward/fastify. Run: node examples/fastify/server.mjs
// (after `pnpm build`), then try the curl lines it prints. PORT and HOST come from the environment.
import { pathToFileURL } from 'node:url';
import { createConsole } from '@keyward/console';
import { createKeyward, MemoryStore } from '@keyward/core';
import { apiKeyAuth } from '@keyward/fastify';
import Fastify from 'fastify';

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

  // Behind a reverse proxy, name its address so Fastify reads X-Forwarded-For from it:
  // Fastify({ trustProxy: '10.0.0.5' })
  // The web console at /keyward/ (docs/console.md), and an admin key to sign in to it.
  const consoleAdmin = await keyward.create({
    name: 'console admin',
    environment: 'test',
    scopes: ['keyward:admin'],
  });
  const keywardConsole = createConsole(keyward, { basePath: '/keyward' });

  const app = Fastify();
  // Every route of this app needs a key with items:read, unless its config says otherwise.
  await app.register(apiKeyAuth, { keyward, scopes: ['items:read'] });
  app.get('/', { config: { apiKey: false } }, async () => ({ hello: 'open to everyone' }));
  app.get('/items', async (request) => ({ items, keyId: request.apiKey?.id }));
  app.get('/admin/stats', { config: { apiKey: { scopes: ['items:admin'] } } }, async (request) => ({
    count: items.length,
    keyId: request.apiKey?.id,
  }));
  // The console checks its own admin key (config apiKey: false) and reads its own body: in this
  // encapsulated scope no parser consumes the request stream.
  const consoleHandler = keywardConsole.toNodeHandler();
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    const toConsole = (request, reply) => {
      reply.hijack(); // the console writes the response itself
      request.raw.ip = request.ip; // Fastify's client IP (its trustProxy setting)
      consoleHandler(request.raw, reply.raw);
    };
    scope.all('/keyward', { config: { apiKey: false } }, toConsole);
    scope.all('/keyward/*', { config: { apiKey: false } }, toConsole);
  });

  const url = await app.listen({ port, host });
  return {
    url,
    readKey: reader.key,
    adminKey: admin.key,
    consoleKey: consoleAdmin.key,
    close: () => app.close(),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url, readKey, adminKey, consoleKey } = await start();
  console.log(`Fastify example listening on ${url}

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
