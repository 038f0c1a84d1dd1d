// The browser-facing proxy. It holds the third-party key (UPSTREAM_API_KEY, from the environment)
// and never lets it reach the browser:
// - the upstream request is built from scratch: no client header is forwarded, so a client's own
//   Authorization or X-API-Key can neither replace nor accompany the server's key;
// - only the fields the page needs are copied from a success; no upstream header is copied;
// - upstream errors become a short code of our own; their bodies (which may echo our request,
//   key included) are discarded unread.
//
// Run alone: UPSTREAM_URL=https://… UPSTREAM_API_KEY=… PORT=3000 node proxy.mjs
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import express from 'express';

/** The proxy app: GET /api/weather?city=… → upstream GET /weather?city=… with the server's key. */
export function createProxy({ upstreamUrl, apiKey }) {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  app.get('/api/weather', async (req, res) => {
    res.set('cache-control', 'no-store');
    const city = req.query.city;
    if (typeof city !== 'string' || !/^[\p{L} .'-]{1,60}$/u.test(city)) {
      res.status(400).json({ error: 'bad_city' });
      return;
    }
    let upstream;
    try {
      upstream = await fetch(`${upstreamUrl}/weather?${new URLSearchParams({ city })}`, {
        headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
        redirect: 'error', // never follow the key to another address
        signal: AbortSignal.timeout(5_000),
      });
    } catch {
      res.status(502).json({ error: 'upstream_unavailable' });
      return;
    }
    if (!upstream.ok) {
      await upstream.body?.cancel();
      if (upstream.status === 404) res.status(404).json({ error: 'unknown_city' });
      else if (upstream.status === 429) res.status(503).json({ error: 'busy' });
      else res.status(502).json({ error: 'upstream_error' });
      return;
    }
    const { city: name, temperatureC, conditions } = await upstream.json();
    res.json({ city: name, temperatureC, conditions });
  });
  return app;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { UPSTREAM_URL, UPSTREAM_API_KEY, PORT = '3000', HOST = '127.0.0.1' } = process.env;
  if (!UPSTREAM_URL || !UPSTREAM_API_KEY) {
    console.error('Set UPSTREAM_URL and UPSTREAM_API_KEY.');
    process.exit(1);
  }
  const server = createProxy({ upstreamUrl: UPSTREAM_URL, apiKey: UPSTREAM_API_KEY }).listen(
    Number(PORT),
    HOST,
  );
  await once(server, 'listening');
  const url = `http://${HOST}:${server.address().port}`;
  if (process.send) {
    process.send({ url }); // started by server.mjs: report the address, die with the parent
    process.on('disconnect', () => process.exit(0));
  } else {
    console.log(`Proxy listening on ${url}`);
  }
}
