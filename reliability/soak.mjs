// Soak test of keyward under sustained load across processes, on the BUILT packages. Not gating:
//
//   npx pnpm@10 test:soak                         (builds, then runs this file: 60 s)
//   SOAK_SECONDS=15 node reliability/soak.mjs     (quicker; needs a previous build)
//
// Setup: two API processes (Express 5 + @keyward/express, reliability/soak/api.mjs) share one
// Redis: keys and limits both in a RedisStore under a prefix unique to this run. SOAK_KEYS keys
// (default 10,000) are created up front: LIMITED_KEYS of them with a small bucket (capacity 5,
// 1 token/s), the rest with a roomy one (so every request still takes a token in Redis).
// This process is the load generator (autocannon). First it primes: every key once against each
// API process, so both record caches hold the whole working set. Then the timed load:
// SOAK_CONNECTIONS connections (default 100) split over both API ports for SOAK_SECONDS
// (default 60), rotating through every key, one request in five going to a small-bucket key so
// those buckets run dry all the time.
//
// Checks (exit code 1 when any fails):
//   - no 5xx, no socket error, no timeout, no status other than 200 and 429 (priming: only 200);
//   - the limits hold across processes: for every small-bucket key, requests granted by both
//     processes together ≤ capacity + refill × (last response − first request) + 1, and the
//     small buckets did run dry (some 429s), so the check is not vacuous;
//   - resident memory (process.memoryUsage().rss, sent by each API process every second over
//     IPC) is flat after warm-up: the peak of the last 5 s is under 10 % above the peak up to
//     the WARMUP_S mark (20 s; high-water marks, see soak/checks.mjs); the heap left after each
//     major GC is reported too;
//   - no unhandled rejection or uncaught exception in either API process.
// Writes reliability/soak-results.json and prints a summary. Targets 127.0.0.1 only; deletes
// every Redis key it wrote; the API processes are killed in `finally`, and exit by themselves if
// this process dies.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createKeyward } from '../packages/core/dist/index.js';
import { RedisStore } from '../packages/redis/dist/index.js';
import { bucketBound, heapTroughs, rssGrowth } from './soak/checks.mjs';
import { nextMessage, startApi, stopApi } from './soak/processes.mjs';
import { deletePrefix, redisAnswers, soakClient } from './soak/redis.mjs';

const positive = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0)
    throw new TypeError(`${name} must be a positive integer`);
  return value;
};

const SECONDS = positive('SOAK_SECONDS', 60);
const CONNECTIONS = positive('SOAK_CONNECTIONS', 100);
const KEYS = positive('SOAK_KEYS', 10_000);
const LIMITED_KEYS = 5;
const LIMITED_EVERY = 5;
const SMALL_BUCKET = { capacity: 5, refillPerSecond: 1 };
const ROOMY_BUCKET = { capacity: 1000, refillPerSecond: 100 };
const WARMUP_S = Math.min(20, Math.floor(SECONDS / 3));
// Priming is all cache misses (two Redis round trips each); at 50 connections a process starved
// of CPU by other work queued them past storeTimeoutMs (1 s) and answered 503. It only fills the
// caches, so it runs gently.
const PRIME_CONNECTIONS = 10;
const MAX_RSS_GROWTH = 0.1;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const resultsPath = fileURLToPath(new URL('./soak-results.json', import.meta.url));

if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(REDIS_URL).hostname)) {
  throw new Error('the soak only runs against a Redis on loopback');
}
if (KEYS <= LIMITED_KEYS) throw new TypeError(`SOAK_KEYS must be above ${LIMITED_KEYS}`);

/** Creates the keys through keyward itself, `inFlight` at a time. */
async function createKeys(store) {
  const issuer = createKeyward({ prefix: 'acme', environments: ['live'], store });
  const limited = [];
  const roomy = [];
  let next = 0;
  async function worker() {
    while (next < KEYS) {
      const index = next++;
      const isLimited = index < LIMITED_KEYS;
      const { key, record } = await issuer.create({
        name: `soak ${index}`,
        scopes: ['items:read'],
        rateLimit: isLimited ? SMALL_BUCKET : ROOMY_BUCKET,
      });
      (isLimited ? limited : roomy).push({ key, id: record.id });
    }
  }
  await Promise.all(Array.from({ length: 50 }, worker));
  issuer.close();
  return { limited, roomy };
}

/**
 * Runs autocannon against `urls`, `pick(n)` choosing the key of the n-th request and
 * `onResponse(status, keyId)` seeing every response; bounded by `duration` (s) or `amount`.
 */
function runLoad({ urls, connections, duration, amount, pick, onResponse }) {
  let sent = 0;
  return autocannon({
    url: urls,
    connections,
    ...(duration === undefined ? { amount } : { duration }),
    pipelining: 1,
    timeout: 10,
    requests: [
      {
        method: 'GET',
        path: '/items',
        setupRequest(request, context) {
          const { key, id } = pick(sent++);
          context.keyId = id;
          request.headers = { authorization: `Bearer ${key}` };
          return request;
        },
        onResponse(status, _body, context) {
          onResponse(status, context.keyId);
        },
      },
    ],
  });
}

/** Fills each API process's record cache: every key once per process, before the timed load. */
async function prime(apis, { limited, roomy }) {
  const all = [...roomy, ...limited];
  const statuses = {};
  const results = await Promise.all(
    apis.map((api) =>
      runLoad({
        urls: [api.url],
        connections: PRIME_CONNECTIONS,
        amount: all.length,
        pick: (n) => all[n % all.length],
        onResponse: (status) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
        },
      }),
    ),
  );
  return {
    statuses,
    errors: results.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
  };
}

/** The timed load, counting every response by status and every small-bucket key's outcomes. */
async function load(apis, { limited, roomy }) {
  const statuses = {};
  const perLimitedKey = new Map(
    limited.map(({ id }) => [id, { granted: 0, limited: 0, other: 0, firstAt: 0, lastAt: 0 }]),
  );
  let roomyNext = 0;
  const result = await runLoad({
    urls: apis.map((api) => api.url),
    connections: CONNECTIONS,
    duration: SECONDS,
    pick(n) {
      if (n % LIMITED_EVERY !== 0) return roomy[roomyNext++ % roomy.length];
      const pick = limited[(n / LIMITED_EVERY) % limited.length];
      const counts = perLimitedKey.get(pick.id);
      if (counts.firstAt === 0) counts.firstAt = Date.now();
      return pick;
    },
    onResponse(status, keyId) {
      statuses[status] = (statuses[status] ?? 0) + 1;
      const counts = perLimitedKey.get(keyId);
      if (counts === undefined) return;
      counts.lastAt = Date.now();
      if (status === 200) counts.granted++;
      else if (status === 429) counts.limited++;
      else counts.other++;
    },
  });
  return { result, statuses, perLimitedKey };
}

const client = soakClient(REDIS_URL);
const storePrefix = `kwsoak:${randomBytes(6).toString('hex')}`;
const apis = [];
const rssSamples = { a: [], b: [] };
let loadStartedAt = Number.POSITIVE_INFINITY;
let exitCode = 1;

try {
  if (!(await redisAnswers(REDIS_URL))) {
    throw new Error(`Redis does not answer at ${REDIS_URL}: start it, or set REDIS_URL`);
  }
  console.log(
    `soak: ${SECONDS} s, ${CONNECTIONS} connections, ${KEYS} keys, prefix ${storePrefix}`,
  );
  const store = new RedisStore({
    client,
    prefix: storePrefix,
    channel: `${storePrefix}:invalidate`,
  });
  const createStarted = Date.now();
  const keys = await createKeys(store);
  const createMs = Date.now() - createStarted;
  store.close();
  console.log(`soak: created ${KEYS} keys in ${createMs} ms`);

  for (const name of ['a', 'b']) {
    apis.push(
      await startApi({
        name,
        redisUrl: REDIS_URL,
        storePrefix,
        onRss: ({ rss, heapUsed, at }) =>
          rssSamples[name].push({ t: (at - loadStartedAt) / 1000, rss, heapUsed }),
      }),
    );
  }
  console.log(`soak: API processes on ${apis.map((api) => api.url).join(' and ')}`);

  const primeStarted = Date.now();
  const primed = await prime(apis, keys);
  const primeMs = Date.now() - primeStarted;
  console.log(
    `soak: primed both record caches in ${primeMs} ms ${JSON.stringify(primed.statuses)}`,
  );

  loadStartedAt = Date.now();
  const { result, statuses, perLimitedKey } = await load(apis, keys);
  const loadSeconds = (Date.now() - loadStartedAt) / 1000;
  const apiStats = {};
  for (const api of apis) {
    api.child.send({ type: 'stats' });
    const {
      served,
      statuses: servedStatuses,
      unhandled,
      uncaught,
    } = await nextMessage(api.child, 'stats', 10_000);
    apiStats[api.name] = {
      served,
      statuses: servedStatuses,
      unhandled,
      uncaught,
    };
  }

  const total = Object.values(statuses).reduce((sum, n) => sum + n, 0);
  const count5xx = Object.entries(statuses)
    .filter(([status]) => Number(status) >= 500)
    .reduce((sum, [, n]) => sum + n, 0);
  const unexpected = Object.entries(statuses)
    .filter(([status]) => status !== '200' && status !== '429')
    .reduce((sum, [, n]) => sum + n, 0);
  const limits = [...perLimitedKey.entries()].map(([id, counts]) => {
    const bound = bucketBound(SMALL_BUCKET, counts.firstAt, counts.lastAt);
    return { id, ...counts, elapsedS: (counts.lastAt - counts.firstAt) / 1000, bound };
  });
  const overLimit = limits.filter((entry) => entry.granted > entry.bound);
  const limitedResponses = limits.reduce((sum, entry) => sum + entry.limited, 0);
  const memory = Object.fromEntries(
    Object.entries(rssSamples).map(([name, samples]) => {
      const during = samples.filter((s) => s.t >= 0);
      const growth = rssGrowth(during, WARMUP_S);
      return [
        name,
        {
          samples: during.length,
          rssMiBAtWarmup: growth && +(growth.before / 2 ** 20).toFixed(1),
          rssMiBAtEnd: growth && +(growth.after / 2 ** 20).toFixed(1),
          heapUsedMiBTroughs: heapTroughs(during).map(({ fromS, heapUsed }) => ({
            fromS,
            heapUsedMiB: +(heapUsed / 2 ** 20).toFixed(1),
          })),
          rssMiBMax: +(Math.max(...during.map((s) => s.rss)) / 2 ** 20).toFixed(1),
          growth: growth && +growth.growth.toFixed(4),
          series: during.map((s) => ({
            t: +s.t.toFixed(1),
            rssMiB: +(s.rss / 2 ** 20).toFixed(1),
            heapUsedMiB: +(s.heapUsed / 2 ** 20).toFixed(1),
          })),
        },
      ];
    }),
  );

  const checks = {
    no5xx:
      count5xx === 0 &&
      Object.values(apiStats).every((s) => !Object.keys(s.statuses).some((c) => Number(c) >= 500)),
    noSocketErrors: result.errors === 0 && result.timeouts === 0 && primed.errors === 0,
    onlyExpectedStatuses:
      unexpected === 0 && Object.keys(primed.statuses).every((status) => status === '200'),
    bothProcessesServed: Object.values(apiStats).every((s) => s.served > 0),
    limitsHeldAcrossProcesses: overLimit.length === 0,
    smallBucketsRanDry: limitedResponses > 0,
    memoryFlatAfterWarmup: Object.values(memory).every(
      (m) => m.growth !== undefined && m.growth < MAX_RSS_GROWTH,
    ),
    noUnhandledRejections: Object.values(apiStats).every(
      (s) => s.unhandled.length === 0 && s.uncaught.length === 0,
    ),
  };
  const passed = Object.values(checks).every(Boolean);

  const summary = {
    passed,
    checks,
    config: {
      seconds: SECONDS,
      connections: CONNECTIONS,
      keys: KEYS,
      limitedKeys: LIMITED_KEYS,
      smallBucket: SMALL_BUCKET,
      roomyBucket: ROOMY_BUCKET,
      warmupS: WARMUP_S,
      maxRssGrowth: MAX_RSS_GROWTH,
    },
    machine: {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
      loadavgAfter: loadavg().map((n) => +n.toFixed(2)),
      at: new Date().toISOString(),
    },
    keyCreation: { keys: KEYS, ms: createMs },
    priming: { ms: primeMs, statuses: primed.statuses, socketErrors: primed.errors },
    load: {
      seconds: +loadSeconds.toFixed(1),
      requests: total,
      requestsPerSecond: Math.round(total / loadSeconds),
      latencyMs: {
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        max: result.latency.max,
      },
      statuses,
      socketErrors: result.errors,
      timeouts: result.timeouts,
      perProcess: apiStats,
    },
    limits: {
      keys: limits.length,
      granted: limits.reduce((sum, entry) => sum + entry.granted, 0),
      limited: limitedResponses,
      worstMargin: Math.min(...limits.map((entry) => +(entry.bound - entry.granted).toFixed(2))),
      overLimit: overLimit.map(({ id, granted, bound }) => ({ id, granted, bound })),
      perKey: limits.map(({ id, granted, limited, other, elapsedS, bound }) => ({
        id,
        granted,
        limited,
        other,
        elapsedS,
        bound: +bound.toFixed(2),
      })),
    },
    memory,
  };
  writeFileSync(resultsPath, `${JSON.stringify(summary, null, 2)}\n`);

  const { load: l } = summary;
  console.log(
    [
      '',
      `requests        ${l.requests} in ${l.seconds} s (${l.requestsPerSecond}/s), p50 ${l.latencyMs.p50} ms, p99 ${l.latencyMs.p99} ms`,
      `statuses        ${JSON.stringify(statuses)}; socket errors ${l.socketErrors}, timeouts ${l.timeouts}`,
      `per process     ${apis.map((api) => `${api.name}: ${apiStats[api.name].served}`).join(', ')}`,
      `limits          ${limits.length} small-bucket keys: granted ${summary.limits.granted}, limited ${limitedResponses}, worst margin to bound ${summary.limits.worstMargin}, over bound ${overLimit.length}`,
      ...Object.entries(memory).map(
        ([name, m]) =>
          `rss ${name}           peak ${m.rssMiBAtWarmup} MiB up to ${WARMUP_S} s → ${m.rssMiBAtEnd} MiB in the last 5 s (${m.growth === undefined ? 'n/a' : `${(m.growth * 100).toFixed(1)} %`}); heap after GC per 20 s: ${m.heapUsedMiBTroughs.map((x) => x.heapUsedMiB).join(', ')} MiB`,
      ),
      ...Object.entries(checks).map(([name, ok]) => `${ok ? 'ok  ' : 'FAIL'}  ${name}`),
      `soak ${passed ? 'passed' : 'FAILED'}; results in reliability/soak-results.json`,
    ].join('\n'),
  );
  exitCode = passed ? 0 : 1;
} catch (error) {
  console.error(`soak: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await Promise.all(apis.map((api) => stopApi(api)));
  const deleted = await deletePrefix(client, storePrefix).catch(() => 0);
  console.log(`soak: removed ${deleted} Redis keys of this run`);
  client.disconnect();
}
process.exit(exitCode);
