// One Bun.serve server for the edge section (bench/edge.mjs), run by Bun in its own process. Not a
// section (the leading underscore keeps run.mjs from running it).
//
//   bun bench/_bun-server.mjs <bare|floor|keyward>
//
// Serves GET / → {"hello":"world"} on 127.0.0.1 (a free port): `bare` as is, `keyward` behind
// withApiKey from the built @keyward/fetch (MemoryStore, default cache, no pepper; the key has an IP
// allow-list holding loopback, one required scope and a token bucket that never empties; the IP
// comes from server.requestIP). `floor` is the least that meets #3 on Bun, as the Node floor of
// the http section: the SHA-256 (node:crypto, native in Bun) of the Bearer token looked up in a
// Map, 401 when unknown, and the two RateLimit headers (constant strings) added to the handler's
// Response as withApiKey adds them (`response.headers.set`). Prints one line {"port":…,"key":…}
// once listening; exits on SIGTERM.

import { createHash } from 'node:crypto';
import { loadPackage } from './lib.mjs';

const variant = process.argv[2];
if (variant !== 'bare' && variant !== 'floor' && variant !== 'keyward') {
  throw new TypeError('usage: bun bench/_bun-server.mjs <bare|floor|keyward>');
}
if (typeof Bun === 'undefined') throw new Error('run this file with bun');

const HELLO = { hello: 'world' };
const hello = () => Response.json(HELLO);

let fetch = hello;
let key = 'none';
if (variant !== 'bare') {
  const { createKeyward, MemoryStore } = await loadPackage('core');
  const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore() });
  ({ key } = await keyward.create({
    name: 'bench',
    scopes: ['invoices:read'],
    ips: ['127.0.0.0/8', '::1/128'],
    rateLimit: { capacity: 1e12, refillPerSecond: 1e9 },
  }));
  if (variant === 'floor') fetch = floor(key);
  else fetch = await guarded(keyward);
}

/** The floor handler for `key`: SHA-256 + Map lookup, then the two RateLimit headers. */
function floor(key) {
  const sha256Hex = (text) => createHash('sha256').update(text).digest('hex');
  const records = new Map([[sha256Hex(key), { id: 'bench', scopes: ['invoices:read'] }]]);
  const UNAUTHORIZED = { status: 401 };
  return (request) => {
    const authorization = request.headers.get('authorization');
    if (authorization === null || !authorization.startsWith('Bearer ')) {
      return new Response(null, UNAUTHORIZED);
    }
    if (records.get(sha256Hex(authorization.slice(7))) === undefined) {
      return new Response(null, UNAUTHORIZED);
    }
    const response = hello();
    response.headers.set('ratelimit-policy', '"key";q=1000000000000;w=1000');
    response.headers.set('ratelimit', '"key";r=999999999999;t=0');
    return response;
  };
}

async function guarded(keyward) {
  const { withApiKey } = await loadPackage('fetch');
  return withApiKey(hello, keyward, {
    scopes: ['invoices:read'],
    ip: (request, server) => server.requestIP(request)?.address,
  });
}

const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch });
console.log(JSON.stringify({ port: server.port, key }));
process.on('SIGTERM', () => {
  server.stop(true);
  process.exit(0);
});
