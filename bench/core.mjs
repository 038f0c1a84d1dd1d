// Core micro-benchmarks: verify on the cached path against one SHA-256, the in-memory token bucket
// against rate-limiter-flexible, the memory a stored key and a cache entry cost, and verify's cost
// as the store grows to 1,000,000 keys. Run: node bench/run.mjs core
//
// Each part is a function, so what it built (up to a million records) is garbage once it returns
// and cannot distort the next part's timings or heap figures.

import { createHash, createHmac, randomBytes } from 'node:crypto';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import {
  blackhole,
  compare,
  figure,
  formatBytes,
  formatNs,
  formatOps,
  formatRatio,
  heading,
  heapUsedAfterGc,
  loadPackage,
  loadPackageDependency,
  BENCH_PATHS as PATHS,
  printTable,
  publish,
  BENCH_ROUTES as ROUTES,
  ratio,
  subheading,
} from './lib.mjs';

const { createKeyward, MemoryStore } = await loadPackage('core');
const { sha256: nobleSha256 } = await loadPackageDependency('core', '@noble/hashes/sha2.js');

const IPS = ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'];
const SCOPES = ['invoices:read'];
/** A bucket no benchmark can empty: the limit is checked, never reached. */
const ROOMY_LIMIT = { capacity: 1e12, refillPerSecond: 1e9 };
const KEY_OPTIONS = { name: 'bench', scopes: SCOPES, ips: IPS, rateLimit: ROOMY_LIMIT };
/** The same frozen options object on every call, as an adapter passes it (compiled once). */
const VERIFY_OPTIONS = Object.freeze({ scopes: Object.freeze([...SCOPES]) });
const CLIENT_IP = '10.20.30.40';
const PEPPER = 'bench-pepper-0123456789abcdef';
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function requestFor(key) {
  return { headers: { authorization: `Bearer ${key}` }, ip: CLIENT_IP };
}

/** Fails the section loudly unless verify takes the synchronous success path. */
function assertVerified(keyward, request, what) {
  const result = keyward.verify(request, VERIFY_OPTIONS);
  if (typeof result?.then === 'function') throw new Error(`${what}: verify returned a Promise`);
  if (!result.ok) throw new Error(`${what}: verify rejected the key (${result.code})`);
}

function base62(length) {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[bytes[i] % 62];
  return out;
}

/** `count` items picked at random (with repeats) from `items`. */
function randomSample(items, count) {
  const out = new Array(count);
  for (let i = 0; i < count; i++) out[i] = items[Math.floor(Math.random() * items.length)];
  return out;
}

/** A table row: CPU-time figures first (the basis of every ratio), then wall-clock ones. */
function row(label, result, extra = []) {
  return [
    label,
    formatNs(result.cpu.nsPerOp),
    formatOps(result.cpu.opsPerSec),
    formatNs(result.wall.nsPerOp),
    `${formatNs(result.wall.minNs)} – ${formatNs(result.wall.maxNs)}`,
    ...extra,
  ];
}
const ROW_HEADER = ['case', 'cpu ns/op', 'ops/cpu-s', 'wall ns/op', 'wall min – max'];

/** "2.41× (wall 2.58×)". */
function formatBoth(r) {
  return `${formatRatio(r.cpu.median)} (wall ${formatRatio(r.wall.median)})`;
}

// ---------------------------------------------------------------------------------------------

/** verify on the cached path vs one SHA-256 of a 43-byte string, interleaved. */
async function verifyVsSha256(figures, details) {
  heading('verify (cached path) vs one SHA-256 of a 43-byte string');
  console.log(
    `  key: ${IPS.length} IP ranges, scopes ${JSON.stringify(SCOPES)}, token bucket never empty;` +
      '\n  MemoryStore, default cache, no onEvent; client IP inside the first range',
  );
  const plain = createKeyward({ prefix: 'acme', store: new MemoryStore() });
  const peppered = createKeyward({ prefix: 'acme', store: new MemoryStore(), pepper: PEPPER });
  const plainRequest = requestFor((await plain.create(KEY_OPTIONS)).key);
  const pepperedRequest = requestFor((await peppered.create(KEY_OPTIONS)).key);
  assertVerified(plain, plainRequest, 'verify');
  assertVerified(peppered, pepperedRequest, 'verify with pepper');
  const secret = base62(43);
  const secretBytes = new TextEncoder().encode(secret);

  const sha256Case = {
    name: 'sha256',
    run(n) {
      for (let i = 0; i < n; i++) blackhole(createHash('sha256').update(secret).digest());
    },
  };
  // The headline pair alone, strictly alternating, so each verify batch sits next to a SHA-256 one.
  const [sha, verify] = await compare(
    [
      sha256Case,
      {
        name: 'verify',
        run(n) {
          for (let i = 0; i < n; i++) blackhole(plain.verify(plainRequest, VERIFY_OPTIONS));
        },
      },
    ],
    { rounds: 80, batchMs: 5 },
  );
  const [sha2, verifyPepper, hmac, noble] = await compare(
    [
      sha256Case,
      {
        name: 'verifyPepper',
        run(n) {
          for (let i = 0; i < n; i++) blackhole(peppered.verify(pepperedRequest, VERIFY_OPTIONS));
        },
      },
      {
        name: 'hmac',
        run(n) {
          for (let i = 0; i < n; i++) {
            blackhole(createHmac('sha256', PEPPER).update(secret).digest());
          }
        },
      },
      {
        name: 'nobleSha256',
        run(n) {
          for (let i = 0; i < n; i++) blackhole(nobleSha256(secretBytes));
        },
      },
    ],
    { rounds: 20, batchMs: 10 },
  );
  const verifyRatio = ratio(verify, sha);
  const pepperRatio = ratio(verifyPepper, sha2);
  const pepperHmacRatio = ratio(verifyPepper, hmac);
  const nobleRatio = ratio(noble, sha2);
  const hmacRatio = ratio(hmac, sha2);
  subheading(`headline: ${verify.rounds} alternating rounds`);
  printTable([
    [...ROW_HEADER, '× sha256'],
    row('sha256 (node:crypto createHash)', sha, ['1']),
    row('verify', verify, [formatBoth(verifyRatio)]),
  ]);
  subheading(
    `secondary: ${verifyPepper.rounds} interleaved rounds, with their own sha256 baseline`,
  );
  printTable([
    [...ROW_HEADER, '× sha256'],
    row('sha256 (node:crypto createHash)', sha2, ['1']),
    row('verify with pepper (HMAC)', verifyPepper, [formatBoth(pepperRatio)]),
    row('hmac-sha256 (node:crypto createHmac)', hmac, [formatBoth(hmacRatio)]),
    row('sha256 (@noble/hashes: the core hashes longer input with it)', noble, [
      formatBoth(nobleRatio),
    ]),
  ]);
  const met = verifyRatio.cpu.median <= 3;
  const met13 = verifyRatio.cpu.median <= 1.5;
  console.log(
    `\n  verify / sha256 = ${formatRatio(verifyRatio.cpu.median)} by CPU time ` +
      `(per-round ${formatRatio(verifyRatio.cpu.min)}–${formatRatio(verifyRatio.cpu.max)}; ` +
      `wall-clock ${formatRatio(verifyRatio.wall.median)}): target ≤ 3× ${met ? 'met' : 'NOT met'}, ` +
      `#13's ≤ 1.5× (usage on) ${met13 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `  verify with pepper / sha256 = ${formatBoth(pepperRatio)}; ` +
      `/ node:crypto HMAC = ${formatBoth(pepperHmacRatio)}`,
  );
  figures['verify.ns'] = figure('verify, cached path', verify.cpu.nsPerOp, 'ns/op', 'lower');
  figures['sha256.ns'] = figure(
    'sha256 of 43 bytes (node:crypto)',
    sha.cpu.nsPerOp,
    'ns/op',
    'lower',
  );
  figures['verify.ratioToSha256'] = figure(
    "verify / sha256 (#13's target ≤ 1.5, usage on)",
    verifyRatio.cpu.median,
    'ratio',
    'lower',
  );
  figures['verify.wallRatioToSha256'] = figure(
    'verify / sha256, wall-clock',
    verifyRatio.wall.median,
    'ratio',
    'lower',
  );
  figures['verifyPepper.ns'] = figure(
    'verify with pepper, cached path',
    verifyPepper.cpu.nsPerOp,
    'ns/op',
    'lower',
  );
  figures['verifyPepper.ratioToSha256'] = figure(
    'verify with pepper / sha256',
    pepperRatio.cpu.median,
    'ratio',
    'lower',
  );
  figures['hmacSha256.ns'] = figure(
    'hmac-sha256 (node:crypto)',
    hmac.cpu.nsPerOp,
    'ns/op',
    'lower',
  );
  figures['nobleSha256.ns'] = figure('sha256 (@noble/hashes)', noble.cpu.nsPerOp, 'ns/op', 'lower');
  details.verifyVsSha256 = {
    target:
      "verify <= 3 x sha256 (CPU time, median of per-round ratios); #13's: <= 1.5 x with usage recording on (the default)",
    met,
    ratio: verifyRatio,
    pepperRatio,
    pepperToHmacRatio: pepperHmacRatio,
    nobleToNodeRatio: nobleRatio,
    headline: [sha, verify],
    secondary: [sha2, verifyPepper, hmac, noble],
  };
  await plain.close();
  await peppered.close();
}

// ---------------------------------------------------------------------------------------------

/** MemoryStore.takeToken vs rate-limiter-flexible's RateLimiterMemory, 1 and 10,000 keys. */
async function tokenBucketVsRateLimiterFlexible(figures, details) {
  heading('in-memory token bucket vs rate-limiter-flexible RateLimiterMemory');
  console.log(
    '  ours: new MemoryStore().takeToken(bucket, limit, 1, Date.now()) — synchronous' +
      '\n  theirs: await limiter.consume(key) — a Promise per call, awaited as a user would' +
      '\n  neither limit is ever reached; keys are taken round-robin',
  );
  for (const keyCount of [1, 10_000]) {
    const keys = Array.from({ length: keyCount }, (_, i) => `client-${i}`);
    const store = new MemoryStore();
    const limiter = new RateLimiterMemory({ points: 1e12, duration: 60 });
    let cursor = 0;
    const [flexible, ours, oursAwaited] = await compare(
      [
        {
          name: 'rate-limiter-flexible',
          async run(n) {
            for (let i = 0; i < n; i++) blackhole(await limiter.consume(keys[cursor++ % keyCount]));
          },
        },
        {
          name: 'ours',
          run(n) {
            for (let i = 0; i < n; i++) {
              blackhole(store.takeToken(keys[cursor++ % keyCount], ROOMY_LIMIT, 1, Date.now()));
            }
          },
        },
        {
          name: 'oursAwaited',
          async run(n) {
            for (let i = 0; i < n; i++) {
              const taken = store.takeToken(keys[cursor++ % keyCount], ROOMY_LIMIT, 1, Date.now());
              blackhole(await taken);
            }
          },
        },
      ],
      { rounds: 15, batchMs: 20 },
    );
    const speedup = ratio(flexible, ours);
    const awaitedSpeedup = ratio(flexible, oursAwaited);
    subheading(`${keyCount.toLocaleString('en-US')} key${keyCount === 1 ? '' : 's'}`);
    printTable([
      ROW_HEADER,
      row('rate-limiter-flexible consume (awaited)', flexible),
      row('MemoryStore.takeToken (sync)', ours),
      row('MemoryStore.takeToken (awaited, for reference)', oursAwaited),
    ]);
    console.log(
      `\n  ours is ${formatBoth(speedup)} as fast as rate-limiter-flexible ` +
        `(target ≥ 1×: ${speedup.cpu.median >= 1 ? 'met' : 'NOT met'}); ` +
        `awaited like theirs: ${formatBoth(awaitedSpeedup)}`,
    );
    const tag = keyCount === 1 ? 'oneKey' : `keys${keyCount}`;
    const keysLabel = `${keyCount.toLocaleString('en-US')} key${keyCount === 1 ? '' : 's'}`;
    figures[`limit.${tag}.flexible.opsPerSec`] = figure(
      `rate-limiter-flexible consume, ${keysLabel}`,
      flexible.cpu.opsPerSec,
      'ops/s',
      'higher',
    );
    figures[`limit.${tag}.ours.opsPerSec`] = figure(
      `MemoryStore.takeToken, ${keysLabel}`,
      ours.cpu.opsPerSec,
      'ops/s',
      'higher',
    );
    figures[`limit.${tag}.speedup`] = figure(
      `takeToken / rate-limiter-flexible speed, ${keysLabel}`,
      speedup.cpu.median,
      'ratio',
      'higher',
    );
    details[`limit_${tag}`] = {
      keys: keyCount,
      speedup,
      awaitedSpeedup,
      cases: [flexible, ours, oursAwaited],
    };
  }
}

// ---------------------------------------------------------------------------------------------

/** Heap bytes per MemoryStore record and per cache entry. */
async function memoryPerKey(figures, details) {
  heading('memory per key (V8 heap after full GC)');
  const RECORDS = 20_000;
  const CACHED = 10_000;
  // Stored records exactly as keyward.create writes them (warmed up first, so compiled code and
  // hidden classes are not counted); the issued keys are dropped at once. No audit trail: its
  // entries (one per create, kept by MemoryStore) are not the record.
  const records = new MemoryStore();
  const recordIssuer = createKeyward({ prefix: 'acme', store: records, auditStore: false });
  for (let i = 0; i < 100; i++) await recordIssuer.create(KEY_OPTIONS);
  const before = heapUsedAfterGc();
  for (let i = 0; i < RECORDS; i++) await recordIssuer.create(KEY_OPTIONS);
  const perRecord = (heapUsedAfterGc() - before) / RECORDS;
  blackhole(records);

  // A cache entry: the compiled record (decoded digest, IP matcher, scopes, KeyInfo) plus its LRU
  // slot. A cache-less instance verifies every key first, so the token buckets already exist and
  // only the cache grows between the two heap readings (usage off: pending usage is not the cache).
  const cacheStore = new MemoryStore();
  const cacheIssuer = createKeyward({ prefix: 'acme', store: cacheStore });
  const requests = [];
  for (let i = 0; i < CACHED; i++)
    requests.push(requestFor((await cacheIssuer.create(KEY_OPTIONS)).key));
  const uncached = createKeyward({
    prefix: 'acme',
    store: cacheStore,
    cache: { max: 0 },
    usage: false,
  });
  for (const request of requests) uncached.verify(request, VERIFY_OPTIONS);
  const beforeCache = heapUsedAfterGc();
  const cached = createKeyward({
    prefix: 'acme',
    store: cacheStore,
    cache: { max: CACHED },
    usage: false,
  });
  for (const request of requests) cached.verify(request, VERIFY_OPTIONS);
  const perEntry = (heapUsedAfterGc() - beforeCache) / CACHED;
  assertVerified(cached, requests[0], 'cache memory');
  blackhole(cached);

  printTable([
    ['what', 'per key', 'measured over'],
    [
      'MemoryStore record',
      formatBytes(perRecord),
      `${RECORDS.toLocaleString('en-US')} records from keyward.create`,
    ],
    [
      'cache entry (compiled record + LRU slot)',
      formatBytes(perEntry),
      `${CACHED.toLocaleString('en-US')} entries`,
    ],
  ]);
  console.log(
    '  record: id, name, tagged hash, 1 scope, 3 IP ranges, a rate limit, timestamps, version.' +
      '\n  Not counted: the token-bucket state MemoryStore adds for each key that is verified.',
  );
  figures['memory.storeRecord.bytes'] = figure(
    'MemoryStore record',
    perRecord,
    'bytes/key',
    'lower',
  );
  figures['memory.cacheEntry.bytes'] = figure('cache entry', perEntry, 'bytes/key', 'lower');
  details.memory = { records: RECORDS, cacheEntries: CACHED, perRecord, perEntry };
  await Promise.all([recordIssuer.close(), cacheIssuer.close(), uncached.close(), cached.close()]);
}

// ---------------------------------------------------------------------------------------------

const HOT_SET = 1_000;
const VERIFIABLE = 10_000;
const SAMPLE = 65_536; // a power of two, so the loops index with a mask

/** verify's hit and miss paths on `store` as it is now; returns one row of the scaling table. */
async function measureStore(store, requests) {
  const size = store.size;
  const hitKeyward = createKeyward({ prefix: 'acme', store });
  const missKeyward = createKeyward({ prefix: 'acme', store, cache: { max: 0 } });
  for (const request of requests.slice(0, 3)) {
    assertVerified(hitKeyward, request, `hit path, ${size} keys`);
    assertVerified(missKeyward, request, `miss path, ${size} keys`);
  }
  const hotSet = requests.slice(0, HOT_SET);
  const hot = randomSample(hotSet, SAMPLE);
  const cold = randomSample(requests, SAMPLE);
  for (const request of hotSet) hitKeyward.verify(request, VERIFY_OPTIONS);
  let h = 0;
  let m = 0;
  const [hit, miss] = await compare(
    [
      {
        name: 'hit',
        run(n) {
          for (let i = 0; i < n; i++) {
            blackhole(hitKeyward.verify(hot[h++ & (SAMPLE - 1)], VERIFY_OPTIONS));
          }
        },
      },
      {
        name: 'miss',
        run(n) {
          for (let i = 0; i < n; i++) {
            blackhole(missKeyward.verify(cold[m++ & (SAMPLE - 1)], VERIFY_OPTIONS));
          }
        },
      },
    ],
    { rounds: 10, batchMs: 30 },
  );
  // Every sampled request must still have been a success, not a cheap rejection.
  assertVerified(hitKeyward, hot[(h - 1) & (SAMPLE - 1)], `hit path, ${size} keys, after`);
  assertVerified(missKeyward, cold[(m - 1) & (SAMPLE - 1)], `miss path, ${size} keys, after`);
  console.log(
    `  ${size.toLocaleString('en-US').padStart(9)} key${size === 1 ? ' ' : 's'}:` +
      ` hit ${formatNs(hit.cpu.nsPerOp).padStart(9)} (wall ${formatNs(hit.wall.nsPerOp)}),` +
      ` miss ${formatNs(miss.cpu.nsPerOp).padStart(9)} (wall ${formatNs(miss.wall.nsPerOp)})`,
  );
  await Promise.all([hitKeyward.close(), missKeyward.close()]);
  return { storedKeys: size, hotSet: hotSet.length, verifiableKeys: requests.length, hit, miss };
}

/** verify with 1, 10,000 and 1,000,000 stored keys. */
async function verifyAsStoreGrows(figures, details) {
  heading('verify as the store grows (MemoryStore)');
  console.log(
    `  hit:  default cache (max 10,000); requests pick at random from a hot set of ≤ ${HOT_SET.toLocaleString('en-US')} keys,` +
      '\n        all cached after warm-up — the steady state of a busy API' +
      '\n  miss: cache disabled (cache.max 0) on the same store; requests pick at random among' +
      `\n        ≤ ${VERIFIABLE.toLocaleString('en-US')} verifiable keys, so every call reads the store (Map lookup +` +
      '\n        structuredClone) and compiles the record (hash decode, IP list, scopes)' +
      '\n  Keys beyond 10,000 are filler records of the same shape inserted with store.insertKey.',
  );
  const rows = [];
  {
    const store = new MemoryStore();
    const issuer = createKeyward({ prefix: 'acme', store });
    rows.push(await measureStore(store, [requestFor((await issuer.create(KEY_OPTIONS)).key)]));
    await issuer.close();
  }
  const store = new MemoryStore();
  const issuer = createKeyward({ prefix: 'acme', store });
  const requests = [];
  for (let i = 0; i < VERIFIABLE; i++) {
    requests.push(requestFor((await issuer.create(KEY_OPTIONS)).key));
  }
  rows.push(await measureStore(store, requests));

  // A JSON round trip gives the template plain packed arrays, like the record keyward.create
  // inserts (a record read back from MemoryStore has holey arrays, which clone larger).
  const template = JSON.parse(JSON.stringify(store.listKeys({ limit: 1 }).items[0]));
  const filler = 1_000_000 - VERIFIABLE;
  const fillStart = Date.now();
  const heapBeforeFill = heapUsedAfterGc();
  for (let i = 0; i < filler; i++) {
    // 12 base62 chars: 'F' and a zero-padded base-36 counter; a clash with a random id is
    // practically impossible and skipped if it happens.
    const id = `F${i.toString(36).padStart(11, '0')}`;
    try {
      store.insertKey({ ...template, id, hash: `sha256:${id}${template.hash.slice(19)}` });
    } catch (error) {
      if (error?.code !== 'duplicate_key_id') throw error;
    }
  }
  const fillerBytes = (heapUsedAfterGc() - heapBeforeFill) / filler;
  const fillSeconds = (Date.now() - fillStart) / 1000;
  console.log(
    `  (inserted ${filler.toLocaleString('en-US')} filler records in ${fillSeconds.toFixed(1)} s;` +
      ` ${formatBytes(fillerBytes)} of heap per record)`,
  );
  rows.push(await measureStore(store, requests));
  await issuer.close();

  subheading('summary');
  printTable([
    ['stored keys', 'hit ns/op', 'hit ops/cpu-s', 'miss ns/op', 'miss ops/cpu-s', 'miss / hit'],
    ...rows.map((r) => [
      r.storedKeys.toLocaleString('en-US'),
      formatNs(r.hit.cpu.nsPerOp),
      formatOps(r.hit.cpu.opsPerSec),
      formatNs(r.miss.cpu.nsPerOp),
      formatOps(r.miss.cpu.opsPerSec),
      formatRatio(ratio(r.miss, r.hit).cpu.median),
    ]),
  ]);
  for (const r of rows) {
    const keys = `${r.storedKeys.toLocaleString('en-US')} stored key${r.storedKeys === 1 ? '' : 's'}`;
    figures[`scale.keys${r.storedKeys}.hit.ns`] = figure(
      `verify cache hit, ${keys}`,
      r.hit.cpu.nsPerOp,
      'ns/op',
      'lower',
    );
    figures[`scale.keys${r.storedKeys}.miss.ns`] = figure(
      `verify cache miss, ${keys}`,
      r.miss.cpu.nsPerOp,
      'ns/op',
      'lower',
    );
  }
  details.scaling = {
    method:
      `hit: default cache, random picks from a hot set of <= ${HOT_SET} keys (all cached); ` +
      `miss: cache.max 0 on the same store, random picks among <= ${VERIFIABLE} verifiable keys`,
    fillerRecords: filler,
    fillSeconds,
    fillerHeapBytesPerRecord: fillerBytes,
    rows,
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * A key with route restrictions vs the same key without, and a key whose owner has a shared
 * rate limit vs one without, each pair interleaved (#14 targets: routes within 10 %, an owner
 * limit one bucket take more).
 */
async function routesAndOwnerLimits(figures, details) {
  heading('verify: route restrictions and owner-shared limits (#14), interleaved pairs');
  console.log(
    `  the headline key of the section above; routed: + routes ${JSON.stringify(ROUTES)},` +
      `\n  requests GET over ${PATHS.length} distinct paths (no template: the path is parsed and checked);` +
      '\n  owner: + ownerId whose ownerLimits gives a (never empty) token bucket',
  );
  const keyward = createKeyward({
    prefix: 'acme',
    store: new MemoryStore(),
    ownerLimits: (ownerId) => (ownerId === 'acct_1' ? { rateLimit: ROOMY_LIMIT } : undefined),
  });
  const plainKey = (await keyward.create(KEY_OPTIONS)).key;
  const routedKey = (await keyward.create({ ...KEY_OPTIONS, routes: ROUTES })).key;
  const ownedKey = (await keyward.create({ ...KEY_OPTIONS, ownerId: 'acct_1' })).key;
  const { rateLimit: _own, ...UNLIMITED_OPTIONS } = KEY_OPTIONS;
  const unlimitedKey = (await keyward.create(UNLIMITED_OPTIONS)).key;
  const requests = (key) => PATHS.map((url) => ({ ...requestFor(key), method: 'GET', url }));
  const plain = requests(plainKey);
  const routed = requests(routedKey);
  const owned = requests(ownedKey);
  const unlimited = requests(unlimitedKey);
  for (const [list, what] of [
    [plain, 'plain'],
    [routed, 'routed'],
    [owned, 'owned'],
    [unlimited, 'unlimited'],
  ]) {
    for (const request of list) assertVerified(keyward, request, what);
  }
  const mask = PATHS.length - 1;
  const verifyCase = (name, list) => ({
    name,
    run(n) {
      for (let i = 0; i < n; i++) blackhole(keyward.verify(list[i & mask], VERIFY_OPTIONS));
    },
  });
  const [base, withRoutes] = await compare(
    [verifyCase('plain', plain), verifyCase('routed', routed)],
    {
      rounds: 60,
      batchMs: 5,
    },
  );
  const [base2, withOwner, noBucket] = await compare(
    [verifyCase('plain', plain), verifyCase('owner', owned), verifyCase('unlimited', unlimited)],
    { rounds: 60, batchMs: 5 },
  );
  const routesRatio = ratio(withRoutes, base);
  const ownerRatio = ratio(withOwner, base2);
  const ownerExtraNs = withOwner.cpu.nsPerOp - base2.cpu.nsPerOp;
  // What the key's own token bucket costs verify (take + headers): the yardstick of "one bucket
  // take more".
  const keyBucketNs = base2.cpu.nsPerOp - noBucket.cpu.nsPerOp;
  printTable([
    [...ROW_HEADER, 'vs plain'],
    row('verify, no routes', base, ['1.00×']),
    row('verify, 4 route patterns', withRoutes, [formatRatio(routesRatio.cpu.median)]),
    row('verify, no owner plan', base2, ['1.00×']),
    row('verify, owner bucket', withOwner, [formatRatio(ownerRatio.cpu.median)]),
    row('verify, key without a bucket', noBucket, [formatRatio(ratio(noBucket, base2).cpu.median)]),
  ]);
  console.log(
    `  the owner's bucket costs ${formatNs(ownerExtraNs)} per verify; the key's own bucket costs ${formatNs(keyBucketNs)}`,
  );
  figures['routes.ratio'] = figure(
    'verify with 4 route patterns / without (cpu median, interleaved)',
    routesRatio.cpu.median,
    '×',
    'lower',
  );
  figures['routes.ns'] = figure(
    'verify with route patterns',
    withRoutes.cpu.nsPerOp,
    'ns/op',
    'lower',
  );
  figures['owner.ratio'] = figure(
    'verify with an owner bucket / without (cpu median, interleaved)',
    ownerRatio.cpu.median,
    '×',
    'lower',
  );
  figures['owner.extraNs'] = figure(
    'owner bucket: extra ns per verify',
    ownerExtraNs,
    'ns/op',
    'lower',
  );
  figures['owner.keyBucketNs'] = figure(
    "the key's own bucket: extra ns per verify (take + headers)",
    keyBucketNs,
    'ns/op',
    'lower',
  );
  details.routesAndOwner = {
    routes: ROUTES,
    paths: PATHS.length,
    routesRatio: routesRatio.cpu,
    ownerRatio: ownerRatio.cpu,
  };
  await keyward.close();
}

// ---------------------------------------------------------------------------------------------

const started = Date.now();
const figures = {};
const details = {};
await verifyVsSha256(figures, details);
await routesAndOwnerLimits(figures, details);
await tokenBucketVsRateLimiterFlexible(figures, details);
await memoryPerKey(figures, details);
await verifyAsStoreGrows(figures, details);
console.log(`\ncore section finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
await publish({ figures, details });
