// Two API processes behind one Redis: a key's rate limit holds across both, and a revocation
// reaches both at once, even though each had the key in its cache.
//
// Run: node examples/multi-instance/server.mjs     (after `pnpm build`; needs Redis at REDIS_URL,
//      default redis://127.0.0.1:6379; process A listens on PORT (3000), B on PORT + 1)
//      EXAMPLE_EXIT=1 node examples/multi-instance/server.mjs   walks through, cleans up, exits
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { keywardOnRedis } from './keyward-on-redis.mjs';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);
const prefix = `kwex${randomBytes(4).toString('hex')}`; // this run's Redis keys and channel
const exitAfterWalkThrough = process.env.EXAMPLE_EXIT === '1';

/** Forks one api.mjs; resolves with its URL once it listens. */
function startApi(name, apiPort) {
  const child = fork(fileURLToPath(new URL('./api.mjs', import.meta.url)), [], {
    env: {
      ...process.env,
      INSTANCE: name,
      PORT: String(apiPort),
      HOST: host,
      REDIS_URL: redisUrl,
      KEYWARD_REDIS_PREFIX: prefix,
    },
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', ({ url }) => resolve({ name, url, child }));
    child.once('exit', (code) => reject(new Error(`process ${name} exited with code ${code}`)));
    setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process ${name} did not start within 15 s`));
    }, 15_000).unref();
  });
}

async function call(api, key) {
  const res = await fetch(`${api.url}/orders`, { headers: { authorization: `Bearer ${key}` } });
  const body = await res.json();
  return {
    status: res.status,
    code: body.code,
    remaining: res.headers.get('ratelimit')?.match(/r=(\d+)/)?.[1],
  };
}

/** Deletes this run's keys from Redis (bounded SCAN). */
async function deleteRunKeys(client) {
  let cursor = '0';
  for (let round = 0; round < 1_000; round++) {
    const [next, keys] = await client.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1_000);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
}

const admin = keywardOnRedis({ redisUrl, prefix }); // this process issues and revokes keys
const apis = [];
let failed = false;
try {
  await Promise.race([
    admin.client.ping(),
    sleep(3_000).then(() => Promise.reject(new Error('no answer within 3 s'))),
  ]).catch((error) => {
    throw new Error(`this example needs Redis at ${redisUrl} (${error.message})`);
  });
  apis.push(
    ...(await Promise.all([startApi('A', port), startApi('B', port === 0 ? 0 : port + 1)])),
  );
  const [a, b] = apis;
  console.log(
    `Process A on ${a.url}, process B on ${b.url}; keys and limits in Redis under "${prefix}"\n`,
  );

  // 1. One limit across both processes.
  const scopes = ['orders:read'];
  const limited = await admin.keyward.create({
    name: 'shared limit',
    environment: 'live',
    scopes,
    rateLimit: { capacity: 10, refillPerSecond: 0.1 },
  });
  console.log(
    `Key ${limited.record.id}: capacity 10, refill 0.1/s. 20 requests, alternating A and B:`,
  );
  const tally = { 200: 0, 429: 0 };
  for (let i = 0; i < 20; i += 2) {
    const results = [await call(a, limited.key), await call(b, limited.key)];
    for (const { status } of results) tally[status] = (tally[status] ?? 0) + 1;
    const shown = results.map(
      (r, j) =>
        `${j === 0 ? 'A' : 'B'} ${r.status}${r.code ? ` ${r.code}` : ` (${r.remaining} left)`}`,
    );
    console.log(`  #${i + 1}-${i + 2}: ${shown.join(', ')}`);
  }
  const limitHeld = tally[200] === 10 && tally[429] === 10;
  console.log(
    `Result: ${tally[200]} allowed, ${tally[429]} rate limited (one bucket in Redis, not one per process)\n`,
  );

  // 2. Revocation reaches the other process at once.
  const doomed = await admin.keyward.create({ name: 'to be revoked', environment: 'live', scopes });
  const warm = [await call(a, doomed.key), await call(b, doomed.key)];
  console.log(
    `Key ${doomed.record.id}: A ${warm[0].status}, B ${warm[1].status} (both now hold it in their 30 s cache)`,
  );
  await admin.keyward.revoke(doomed.record.id, { reason: 'walk-through' });
  const revokedAt = performance.now();
  let refusal;
  for (let attempt = 1; attempt <= 1_000 && performance.now() - revokedAt < 5_000; attempt++) {
    const result = await call(b, doomed.key);
    if (result.status !== 200) {
      refusal = { ...result, attempt, ms: performance.now() - revokedAt };
      break;
    }
    await sleep(5);
  }
  // B's cache would keep the key for 30 s: a refusal within 5 s can only come from the
  // invalidation message (usually the very next request, a few ms after revoke() returned; a
  // loaded machine may take longer to deliver it).
  const revokedInTime = refusal?.code === 'revoked_key' && refusal.ms <= 5_000;
  console.log(
    refusal === undefined
      ? 'Revoked by this process; B still accepted the key after 5 s'
      : `Revoked by this process; B answered ${refusal.status} ${refusal.code} ${refusal.ms.toFixed(1)} ms later (request ${refusal.attempt} after the revoke)`,
  );
  failed = !limitHeld || !revokedInTime;
  console.log(
    `\nChecks: shared limit ${limitHeld ? 'held' : 'FAILED'}, revocation reached B before its 30 s cache expired ${revokedInTime ? 'yes' : 'NO'}`,
  );

  if (!exitAfterWalkThrough) {
    const playground = await admin.keyward.create({
      name: 'playground',
      environment: 'live',
      scopes,
      rateLimit: { capacity: 5, refillPerSecond: 0.2 },
    });
    console.log(`
A key for you to try on both (capacity 5, refill 0.2/s; this run only, deleted on Ctrl-C):
  curl -i -H "Authorization: Bearer ${playground.key}" ${a.url}/orders
  curl -i -H "Authorization: Bearer ${playground.key}" ${b.url}/orders`);
    await once(process, 'SIGINT');
  }
} catch (error) {
  console.error(error.message);
  failed = true;
} finally {
  for (const api of apis) api.child.kill();
  await Promise.all(
    apis.map((api) => (api.child.exitCode === null ? once(api.child, 'exit') : null)),
  );
  await deleteRunKeys(admin.client).catch(() => {});
  await admin.close();
}
process.exitCode = failed ? 1 : 0;
