// One Bun.serve server for the edge section (bench/edge.mjs), run by Bun in its own process. Not a
// section (the leading underscore keeps run.mjs from running it).
//
//   bun bench/_bun-server.mjs <bare|keyward>
//
// Serves GET / → {"hello":"world"} on 127.0.0.1 (a free port): `bare` as is, `keyward` behind
// withApiKey from the built @keyward/fetch (MemoryStore, default cache, no pepper; the key has an IP
// allow-list holding loopback, one required scope and a token bucket that never empties; the IP
// comes from server.requestIP). Prints one line {"port":…,"key":…} once listening; exits on
// SIGTERM.

import { loadPackage } from './lib.mjs';

const variant = process.argv[2];
if (variant !== 'bare' && variant !== 'keyward') {
  throw new TypeError('usage: bun bench/_bun-server.mjs <bare|keyward>');
}
if (typeof Bun === 'undefined') throw new Error('run this file with bun');

const HELLO = { hello: 'world' };
const hello = () => Response.json(HELLO);

let fetch = hello;
let key = 'none';
if (variant === 'keyward') {
  const { createKeyward, MemoryStore } = await loadPackage('core');
  const { withApiKey } = await loadPackage('fetch');
  const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore() });
  ({ key } = await keyward.create({
    name: 'bench',
    scopes: ['invoices:read'],
    ips: ['127.0.0.0/8', '::1/128'],
    rateLimit: { capacity: 1e12, refillPerSecond: 1e9 },
  }));
  fetch = withApiKey(hello, keyward, {
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
