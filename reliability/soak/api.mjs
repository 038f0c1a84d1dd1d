// One API process of the soak (started by reliability/soak.mjs with `fork`): Express 5 guarded by
// @keyward/express, keys and limits in a RedisStore shared with the other API process. Uses the
// BUILT packages. Talks to its parent over IPC only:
//   → { type: 'listening', port }            once it serves on 127.0.0.1
//   → { type: 'rss', rss, heapUsed, at }     every second
//   ← { type: 'stats' }  → { type: 'stats', served, statuses, unhandled, uncaught }
//   ← { type: 'exit' }   closes everything and exits
// It exits by itself when its parent goes away (IPC disconnect), so it can never be orphaned.
import express from 'express';
import { Redis } from 'ioredis';
import { createKeyward } from '../../packages/core/dist/index.js';
import { apiKeyAuth } from '../../packages/express/dist/index.js';
import { RedisStore } from '../../packages/redis/dist/index.js';

const unhandled = [];
const uncaught = [];
process.on('unhandledRejection', (reason) => unhandled.push(String(reason?.code ?? reason)));
process.on('uncaughtException', (error) => uncaught.push(String(error?.code ?? error)));

const client = new Redis(process.env.KW_REDIS_URL, { commandTimeout: 2000 });
client.on('error', () => {});
const store = new RedisStore({
  client,
  prefix: process.env.KW_STORE_PREFIX,
  channel: `${process.env.KW_STORE_PREFIX}:invalidate`,
});
const keyward = createKeyward({ prefix: 'acme', environments: ['live'], store });

let served = 0;
const statuses = {};
const app = express();
app.disable('x-powered-by');
app.use((_req, res, next) => {
  served++;
  res.on('finish', () => {
    statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
  });
  next();
});
app.get('/items', apiKeyAuth(keyward, { scopes: ['items:read'] }), (req, res) => {
  res.json({ keyId: req.apiKey?.id, items: [] });
});

const server = app.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'listening', port: server.address().port });
});
server.keepAliveTimeout = 65_000;

// No forced collection before a sample: on a busy 2-core machine a full GC paused this process
// for up to ~350 ms, long enough to push store answers past storeTimeoutMs (spurious 503s).
const sampler = setInterval(() => {
  const { rss, heapUsed } = process.memoryUsage();
  process.send?.({ type: 'rss', rss, heapUsed, at: Date.now() });
}, 1000);

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  clearInterval(sampler);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await keyward.close();
  store.close();
  await client.quit().catch(() => client.disconnect());
  if (process.connected) process.disconnect();
  process.exit(0);
}

process.on('message', (message) => {
  if (message?.type === 'stats') {
    process.send?.({ type: 'stats', served, statuses, unhandled, uncaught });
  }
  if (message?.type === 'exit') void shutdown();
});
process.on('disconnect', () => void shutdown());
