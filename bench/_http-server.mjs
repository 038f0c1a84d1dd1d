// One HTTP server for the http section (bench/http.mjs), run in its own process so the load
// generator never shares its event loop. Not a section (the leading underscore keeps run.mjs
// from running it).
//
//   node bench/_http-server.mjs <express|koa|fastify> <bare|noop|floor|floorh|keyward|peer>
//
// Serves GET / → {"hello":"world"} on 127.0.0.1 (a free port). `noop` puts a middleware that only
// calls next() in front (Fastify: a callback onRequest hook calling done()). `floor` puts the least
// any key check does in front: the SHA-256 (node:crypto) of the Bearer token looked up in a Map,
// 401 when unknown, no limits or restrictions. `floorh` is `floor` plus the two RateLimit headers
// (constant strings, set as the adapter sets them: `res.setHeader`, Fastify `reply.header`) that
// #3 asks on every verified response: the least anything meeting #3 does (#13 calls it "floor").
// `keyward` puts apiKeyAuth from the built adapter in front (default configuration: MemoryStore,
// no pepper, default cache); `base` the same from a snapshot of an earlier build
// (bench/_snapshot-build.mjs), to compare two builds in one run. `peer` is what users pick
// instead (#13): on Express the `floor` check (plus a scope test) and express-rate-limit 8 keyed
// by the record; on Koa the same check
// and koa-ratelimit 6 with its memory driver, keyed by the record; on Fastify
// @fastify/bearer-auth 10 and @fastify/rate-limit 11 keyed by the token. Over IPC it sends
// { type: 'ready', port, key } once listening, and answers { type: 'cpu' } with this process's
// CPU time, so the parent can count server CPU per request; { type: 'profile-start' } and
// { type: 'profile-stop' } sample this process with V8's profiler and answer with keyward's share
// of the busy time (see _profile-attribution.mjs). It exits when the parent disconnects.

import { createHash } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { attributeProfile } from './_profile-attribution.mjs';
import { loadPackage, loadSnapshot } from './lib.mjs';

const [framework, variant] = process.argv.slice(2);
const FRAMEWORKS = ['express', 'koa', 'fastify'];
const VARIANTS = ['bare', 'noop', 'floor', 'floorh', 'keyward', 'peer', 'base'];
if (!FRAMEWORKS.includes(framework) || !VARIANTS.includes(variant)) {
  throw new TypeError(
    'usage: node bench/_http-server.mjs <express|koa|fastify> <bare|noop|floor|floorh|keyward|peer|base>',
  );
}

/** The key: an IP allow-list holding loopback, one scope, a token bucket that never empties. */
const KEY_OPTIONS = {
  name: 'bench',
  scopes: ['invoices:read'],
  ips: ['127.0.0.0/8', '::1/128'],
  rateLimit: { capacity: 1e12, refillPerSecond: 1e9 },
};
const REQUIRED = { scopes: ['invoices:read'] };
const HELLO = { hello: 'world' };

/** `base`: keyward from the snapshot bench/_snapshot-build.mjs took (an earlier build), to A/B. */
const loadKeyward = (name) => (variant === 'base' ? loadSnapshot(name) : loadPackage(name));
const { createKeyward, MemoryStore } = await loadKeyward('core');
const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore() });
const { key } = await keyward.create(KEY_OPTIONS);

// Proves the measured path is the synchronous success path before any load arrives.
const check = keyward.verify(
  { headers: { authorization: `Bearer ${key}` }, ip: '127.0.0.1', method: 'GET', url: '/' },
  REQUIRED,
);
if (typeof check?.then === 'function' || !check.ok) {
  throw new Error(`verify of the bench key did not succeed synchronously (${check?.code})`);
}

/** What floorh sets: RateLimit headers of keyward's shape for the bench key's bucket. */
const FLOOR_HEADERS = {
  'ratelimit-policy': '"key";q=1000000000000;w=1000',
  ratelimit: '"key";r=999999999999;t=0',
};
const sha256Hex = (text) => createHash('sha256').update(text).digest('hex');
/** The floor variant's table: the SHA-256 hex of the bench key → its record. */
const FLOOR_RECORDS = new Map([[sha256Hex(key), { id: 'bench', scopes: ['invoices:read'] }]]);
/** The floor check: the record of a `Bearer <key>` header, or undefined. */
function floorLookup(authorization) {
  if (typeof authorization !== 'string' || !authorization.startsWith('Bearer ')) return undefined;
  return FLOOR_RECORDS.get(sha256Hex(authorization.slice(7)));
}

async function expressServer() {
  const { default: express } = await import('express');
  const app = express();
  if (variant === 'noop') {
    app.use((_req, _res, next) => next());
  } else if (variant === 'floor' || variant === 'floorh') {
    const withHeaders = variant === 'floorh';
    app.use((req, res, next) => {
      const record = floorLookup(req.headers.authorization);
      if (record === undefined) {
        res.status(401).end();
        return;
      }
      req.apiKey = record;
      if (withHeaders) for (const name in FLOOR_HEADERS) res.setHeader(name, FLOOR_HEADERS[name]);
      next();
    });
  } else if (variant === 'keyward' || variant === 'base') {
    const { apiKeyAuth } = await loadKeyward('express');
    app.use(apiKeyAuth(keyward, REQUIRED));
  } else if (variant === 'peer') {
    const { rateLimit } = await import('express-rate-limit');
    app.use((req, res, next) => {
      const record = floorLookup(req.headers.authorization);
      if (record === undefined) {
        res.status(401).json({ error: 'invalid API key' });
        return;
      }
      if (!record.scopes.includes('invoices:read')) {
        res.status(403).json({ error: 'insufficient scope' });
        return;
      }
      req.apiKey = record;
      next();
    });
    app.use(
      rateLimit({
        windowMs: 60_000,
        limit: 1e12,
        keyGenerator: (req) => req.apiKey.id,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
      }),
    );
  }
  app.get('/', (_req, res) => {
    res.json(HELLO);
  });
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', (error) => (error ? reject(error) : resolve(server)));
  });
}

async function koaServer() {
  const { default: Koa } = await import('koa');
  const app = new Koa();
  if (variant === 'noop') {
    app.use((_ctx, next) => next());
  } else if (variant === 'floor' || variant === 'floorh') {
    const withHeaders = variant === 'floorh';
    app.use((ctx, next) => {
      const record = floorLookup(ctx.req.headers.authorization);
      if (record === undefined) {
        ctx.status = 401;
        return undefined;
      }
      ctx.state.apiKey = record;
      if (withHeaders)
        for (const name in FLOOR_HEADERS) ctx.res.setHeader(name, FLOOR_HEADERS[name]);
      return next();
    });
  } else if (variant === 'keyward' || variant === 'base') {
    const { apiKeyAuth } = await loadKeyward('koa');
    app.use(apiKeyAuth(keyward, REQUIRED));
  } else if (variant === 'peer') {
    const { default: ratelimit } = await import('koa-ratelimit');
    app.use((ctx, next) => {
      const record = floorLookup(ctx.req.headers.authorization);
      if (record === undefined) {
        ctx.status = 401;
        ctx.body = { error: 'invalid API key' };
        return undefined;
      }
      if (!record.scopes.includes('invoices:read')) {
        ctx.status = 403;
        ctx.body = { error: 'insufficient scope' };
        return undefined;
      }
      ctx.state.apiKey = record;
      return next();
    });
    app.use(
      ratelimit({
        driver: 'memory',
        db: new Map(),
        duration: 60_000,
        max: 1e12,
        id: (ctx) => ctx.state.apiKey.id,
      }),
    );
  }
  app.use((ctx) => {
    ctx.body = HELLO;
  });
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1');
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

async function fastifyServer() {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  if (variant === 'noop') {
    app.addHook('onRequest', (_request, _reply, done) => done());
  } else if (variant === 'floor' || variant === 'floorh') {
    const withHeaders = variant === 'floorh';
    app.decorateRequest('apiKey', undefined);
    app.addHook('onRequest', (request, reply, done) => {
      const record = floorLookup(request.headers.authorization);
      if (record === undefined) {
        reply.code(401).send();
        return;
      }
      request.apiKey = record;
      if (withHeaders) for (const name in FLOOR_HEADERS) reply.header(name, FLOOR_HEADERS[name]);
      done();
    });
  } else if (variant === 'keyward' || variant === 'base') {
    const { apiKeyAuth } = await loadKeyward('fastify');
    await app.register(apiKeyAuth, { keyward, ...REQUIRED });
  } else if (variant === 'peer') {
    // Registered in this order, so the bearer check's onRequest hook runs before the limiter's.
    const { default: bearerAuth } = await import('@fastify/bearer-auth');
    const { default: rateLimit } = await import('@fastify/rate-limit');
    await app.register(bearerAuth, { keys: [key] });
    await app.register(rateLimit, {
      max: 1e12,
      timeWindow: 60_000,
      keyGenerator: (request) => request.headers.authorization,
      enableDraftSpec: true,
    });
  }
  app.get('/', (_request, reply) => {
    reply.send(HELLO);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server;
}

const build = { express: expressServer, koa: koaServer, fastify: fastifyServer }[framework];
const server = await build();
let session;
async function profileStart() {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
}
async function profileStop() {
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  session = undefined;
  const { byFunction, ...summary } = attributeProfile(profile);
  return { ...summary, byFunction: byFunction.slice(0, 15) };
}
process.on('message', (message) => {
  const reply = (value) => process.send({ type: message.type, id: message.id, value });
  if (message?.type === 'cpu') reply(process.cpuUsage());
  else if (message?.type === 'profile-start') profileStart().then(() => reply(true));
  else if (message?.type === 'profile-stop') profileStop().then(reply);
});
process.on('disconnect', () => {
  server.close();
  process.exit(0);
});
process.send({ type: 'ready', port: server.address().port, key });
