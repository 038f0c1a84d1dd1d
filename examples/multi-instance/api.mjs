// One API process. server.mjs forks two of these (A and B); both use the same Redis and prefix,
// so they share keys, rate limits and revocations.
// Env: REDIS_URL, KEYWARD_REDIS_PREFIX, INSTANCE (a name for the transcript), PORT, HOST.
import { once } from 'node:events';
import { apiKeyAuth } from '@keyward/express';
import express from 'express';
import { keywardOnRedis } from './keyward-on-redis.mjs';

const {
  REDIS_URL,
  KEYWARD_REDIS_PREFIX,
  INSTANCE = 'api',
  PORT = '0',
  HOST = '127.0.0.1',
} = process.env;
const { keyward, close } = keywardOnRedis({ redisUrl: REDIS_URL, prefix: KEYWARD_REDIS_PREFIX });

const app = express();
app.get('/orders', apiKeyAuth(keyward, { scopes: ['orders:read'] }), (req, res) => {
  res.json({ servedBy: INSTANCE, keyId: req.apiKey.id });
});

const server = app.listen(Number(PORT), HOST);
await once(server, 'listening');

async function shutdown() {
  server.closeAllConnections();
  server.close();
  await close();
  process.exit(0);
}
process.once('SIGTERM', shutdown);
process.once('disconnect', shutdown); // the parent is gone
process.send?.({ url: `http://${HOST}:${server.address().port}` });
