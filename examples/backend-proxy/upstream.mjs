// The "third-party" weather API the proxy calls. It is protected by keyward: every request needs
// a key. Like many real APIs it is careless with errors: a 404 echoes the request headers,
// Authorization included, so a proxy that passed error bodies through would leak its key.
import { once } from 'node:events';
import { createKeyward, MemoryStore } from '@keyward/core';
import { apiKeyAuth } from '@keyward/express';
import express from 'express';

const forecasts = {
  paris: { city: 'Paris', temperatureC: 18, conditions: 'cloudy' },
  lima: { city: 'Lima', temperatureC: 22, conditions: 'sunny' },
};

/** Starts the weather API and issues the one key the proxy will use. */
export async function startUpstream({ port = 0, host = '127.0.0.1' } = {}) {
  const keyward = createKeyward({
    prefix: 'wthr',
    environments: ['live'],
    store: new MemoryStore(),
  });
  const issued = await keyward.create({
    name: 'backend proxy',
    environment: 'live',
    scopes: ['weather:read'],
    rateLimit: { capacity: 60, refillPerSecond: 1 },
  });
  /** Ids of the keys the API accepted, one per request: proof of who called. */
  const acceptedKeyIds = [];

  const app = express();
  app.get('/weather', apiKeyAuth(keyward, { scopes: ['weather:read'] }), (req, res) => {
    acceptedKeyIds.push(req.apiKey.id);
    const forecast = forecasts[String(req.query.city).toLowerCase()];
    if (forecast === undefined) {
      res.status(404).json({ error: 'unknown city', debug: { headers: req.headers } });
      return;
    }
    res.set('x-upstream-account', req.apiKey.id).json(forecast);
  });

  const server = app.listen(port, host);
  await once(server, 'listening');
  return {
    url: `http://${host}:${server.address().port}`,
    keyward,
    issued,
    acceptedKeyIds,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
