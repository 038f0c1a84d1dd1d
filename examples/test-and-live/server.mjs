// Separate test and live keys. One Express app serves two deployments of the same API, each with
// its own keyward instance over one shared store: /live accepts only `acme_live_…` keys, /sandbox
// only `acme_test_…` keys. A key sent to the other deployment gets 401 wrong_environment, decided
// from the key's text before any store lookup.
//
// Run: node examples/test-and-live/server.mjs          (after `pnpm build`; PORT from the environment)
//      EXAMPLE_EXIT=1 node examples/test-and-live/server.mjs   walks through the four cases and exits
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { createKeyward, MemoryStore } from '@keyward/core';
import { apiKeyAuth } from '@keyward/express';
import express from 'express';

/** One deployment of the orders API, guarded by its own keyward instance. */
function ordersApi(keyward) {
  const router = express.Router();
  router.use(apiKeyAuth(keyward, { scopes: ['orders:read'] }));
  router.get('/orders', (req, res) => {
    res.json({ environment: req.apiKey?.environment, orders: [] });
  });
  return router;
}

/** Builds both deployments, issues one live and one test key, and listens. */
export async function start({
  port = Number(process.env.PORT ?? 3000),
  host = process.env.HOST ?? '127.0.0.1',
} = {}) {
  const store = new MemoryStore(); // in production: one PostgreSQL/Redis/SQLite store for both
  const live = createKeyward({ prefix: 'acme', environments: ['live'], store });
  const sandbox = createKeyward({ prefix: 'acme', environments: ['test'], store });

  const scopes = ['orders:read'];
  const liveKey = await live.create({ name: 'production backend', environment: 'live', scopes });
  const testKey = await sandbox.create({ name: 'CI pipeline', environment: 'test', scopes });

  const app = express();
  app.use('/live', ordersApi(live));
  app.use('/sandbox', ordersApi(sandbox));

  const server = app.listen(port, host);
  await once(server, 'listening');
  return {
    url: `http://${host}:${server.address().port}`,
    liveKey: liveKey.key,
    testKey: testKey.key,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Sends each key to each deployment; returns one line per request. */
export async function walkThrough({ url, liveKey, testKey }) {
  const lines = [];
  for (const [keyName, key] of [
    ['live key', liveKey],
    ['test key', testKey],
  ]) {
    for (const deployment of ['live', 'sandbox']) {
      const res = await fetch(`${url}/${deployment}/orders`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const body = await res.json();
      lines.push(`${keyName} → /${deployment}/orders: ${res.status} ${body.code ?? 'ok'}`);
    }
  }
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const example = await start();
  console.log(`Test-and-live example listening on ${example.url}
  /live/orders     accepts acme_live_… keys only (createKeyward({ environments: ['live'] }))
  /sandbox/orders  accepts acme_test_… keys only (createKeyward({ environments: ['test'] }))
`);
  for (const line of await walkThrough(example)) console.log(`  ${line}`);
  if (process.env.EXAMPLE_EXIT === '1') {
    await example.close();
  } else {
    console.log(`
Keys issued for this run (in memory):
  live: ${example.liveKey}
  test: ${example.testKey}

Try:
  curl -i -H "Authorization: Bearer ${example.testKey}" ${example.url}/sandbox/orders
  curl -i -H "Authorization: Bearer ${example.testKey}" ${example.url}/live/orders`);
  }
}
