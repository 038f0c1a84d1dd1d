// A browser page served from one origin calls an API on another origin with a publishable key;
// the same page served from a third origin (someone who copied the key onto their own site) is
// refused. Run: node examples/publishable-key/server.mjs (after `pnpm build`), then open the two
// page URLs it prints. HOST, API_PORT, WEB_PORT and OTHER_PORT come from the environment.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createKeyward, MemoryStore } from '@keyward/core';
import { apiKeyAuth } from '@keyward/express';
import express from 'express';

const catalog = [
  { id: 1, name: 'widget', price: '4.00 EUR' },
  { id: 2, name: 'gadget', price: '12.50 EUR' },
];
const orders = [{ id: 'ord_1', total: '16.50 EUR' }];

const STATIC = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
};

/** Serves the page, its script and `/config.json` (where the API is, and the publishable key). */
function pageServer(config) {
  return createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://page').pathname;
    const headers = {
      // The page may talk to itself and to the API, nothing else; no inline script.
      'content-security-policy': `default-src 'self'; connect-src 'self' ${config.apiUrl}; frame-ancestors 'none'`,
      'x-content-type-options': 'nosniff',
    };
    if (path === '/config.json') {
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify(config));
      return;
    }
    const asset = STATIC[path];
    if (req.method !== 'GET' || asset === undefined) {
      res.writeHead(404, headers).end();
      return;
    }
    const body = await readFile(new URL(`./public/${asset.file}`, import.meta.url));
    res.writeHead(200, { ...headers, 'content-type': asset.type }).end(body);
  });
}

/**
 * Cross-origin access for browsers. CORS only decides which pages may read the answers; it is
 * not what protects the key (any client may send any header): keyward's origin check is. So the
 * API lets every origin read its answers, refusals included, and keyward refuses keys sent from
 * origins they were not issued for.
 */
function cors(req, res, next) {
  const origin = req.get('origin');
  if (origin !== undefined) {
    res.set('Access-Control-Allow-Origin', origin);
    res.set('Access-Control-Expose-Headers', 'RateLimit, RateLimit-Policy, Retry-After');
  }
  res.vary('Origin');
  if (req.method === 'OPTIONS') {
    // The preflight carries no key (browsers never send custom headers on it): answer it plainly.
    res.set('Access-Control-Allow-Methods', 'GET');
    res.set('Access-Control-Allow-Headers', 'X-API-Key');
    res.set('Access-Control-Max-Age', '600');
    res.status(204).end();
    return;
  }
  next();
}

async function listen(server, port, host) {
  server.listen(port, host);
  await once(server, 'listening');
  return `http://${host}:${server.address().port}`;
}

/**
 * Starts the API, the page's origin and another origin serving the same page, and issues the
 * publishable key for the page's origin.
 */
export async function start({
  host = process.env.HOST ?? '127.0.0.1',
  apiPort = Number(process.env.API_PORT ?? 3000),
  webPort = Number(process.env.WEB_PORT ?? 5173),
  otherPort = Number(process.env.OTHER_PORT ?? 5174),
} = {}) {
  const keyward = createKeyward({
    prefix: 'shop',
    environments: ['live'],
    store: new MemoryStore(),
    // The only scope a publishable key may hold: reading the public catalog.
    publishableScopes: ['catalog:read'],
  });

  const app = express();
  app.use(cors);
  // Browser code may read the catalog with a publishable key, and nothing else.
  app.get(
    '/catalog',
    apiKeyAuth(keyward, { keyType: 'publishable', scopes: ['catalog:read'] }),
    (req, res) => {
      res.json({ items: catalog, keyId: req.apiKey?.id });
    },
  );
  // Server-to-server only: a publishable key is refused here whatever its scopes.
  app.get(
    '/orders',
    apiKeyAuth(keyward, { keyType: 'secret', scopes: ['orders:read'] }),
    (_req, res) => {
      res.json({ orders });
    },
  );

  const api = createServer(app);
  const apiUrl = await listen(api, apiPort, host);
  const config = { apiUrl, publishableKey: '' };
  const web = pageServer(config);
  const other = pageServer(config);
  const webUrl = await listen(web, webPort, host);
  const otherUrl = await listen(other, otherPort, host);

  // The key is issued for the page's origin once its address is known.
  const issued = await keyward.create({
    name: 'catalog page',
    environment: 'live',
    type: 'publishable',
    referrers: [`${webUrl}/*`],
    scopes: ['catalog:read'],
    routes: ['GET /catalog'],
    rateLimit: { capacity: 20, refillPerSecond: 2 },
  });
  config.publishableKey = issued.key;
  const secret = await keyward.create({
    name: 'order sync',
    environment: 'live',
    scopes: ['orders:read'],
  });

  const close = (server) => new Promise((resolve) => server.close(resolve));
  return {
    apiUrl,
    webUrl,
    otherUrl,
    publishableKey: issued.key,
    secretKey: secret.key,
    close: async () => {
      for (const server of [api, web, other]) server.closeAllConnections();
      await Promise.all([close(api), close(web), close(other)]);
      await keyward.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { apiUrl, webUrl, otherUrl, publishableKey, secretKey } = await start();
  console.log(`Publishable-key example

  API:          ${apiUrl}
  the page:     ${webUrl}    (the key works here)
  another site: ${otherUrl}    (the same page and key: refused)

Keys issued for this run (in memory):
  publishable (sits in the page): ${publishableKey}
  secret (server-side only):      ${secretKey}

Try, besides the two pages:
  curl -i -H "X-API-Key: ${publishableKey}" -H "Origin: ${webUrl}" ${apiUrl}/catalog
  curl -i -H "X-API-Key: ${publishableKey}" -H "Origin: ${otherUrl}" ${apiUrl}/catalog
  curl -i -H "X-API-Key: ${publishableKey}" -H "Origin: ${webUrl}" ${apiUrl}/orders
  curl -i -H "X-API-Key: ${secretKey}" ${apiUrl}/orders`);
}
