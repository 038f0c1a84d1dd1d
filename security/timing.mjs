// A dudect-style statistical timing check of keyward.verify on the BUILT core
// (packages/core/dist/index.js). Not part of the gating tests. Run it with
//
//   npx pnpm@10 test:timing                     builds core, then runs this file (~3 min)
//   node security/timing.mjs --samples=100000   quicker; also --pool=64, --epochs=10, --only=a,b,aa
//
// Method (Reparaz, Balasch, Verbauwhede, "Dude, is my code constant time?", DATE 2017): two
// classes of input, the class of every single measurement chosen by a CSPRNG coin, so drift,
// frequency scaling, GC and other processes' noise fall on both classes alike; Welch's t-test on
// the two sets of timings, on the raw set and on the sets cropped below dudect's 100 pooled
// percentiles p = 1 - 0.5^(10(i+1)/100), which strip the long right tail of interrupts and GC
// pauses. |t| >= 4.5 is dudect's threshold for "the timing depends on the class".
//
// Each measurement is ONE verify call between two process.hrtime.bigint() reads. The timer's
// step here (~40-50 ns, printed at start, mostly the cost of reading it) is ~1/60 of a cached
// verify (~3-6 µs), so one call is resolvable; batching identical calls would add no resolution
// but would cut the number of independent coin flips, and the timer's own cost is the same for
// both classes, so it cancels in the difference of means.
//
// Each class is a pool of POOL (default 1024) keys and each measurement picks one at random and
// wraps it in a NEW request object whose header is a NEW flat string. Two nuisance factors are
// randomised so they cannot pose as the class: the addresses of the input objects (with ONE fixed
// input per class, identical code paths differed, |t| up to ~37 with --pool=1; with reused
// request objects, calibration (ab) still reached |t| 24-34) and the layout of the record cache:
// the samples are split over EPOCHS (default 100) epochs, each on a new keyward instance whose
// cache is filled in a new random order (with one cache filled once, (ab) reached |t| 6-40).
//
// Comparisons (record or negative entry cached, failedAttempts off, 1 h TTLs, no onEvent):
//   (a) wrong secret differing from the real one in its FIRST char vs in its LAST char  [gating]
//   (b) unknown id vs wrong secret for a known id                                         [gating]
//   (d) wrong secret for an active key vs for a revoked key (state must not show)         [gating]
//   (c) control: valid key vs wrong secret; different work, MUST show a large |t|
//   (aa) calibration A/A: both classes draw from the same requests; must stay below 4.5
//   (ab) calibration A/B: wrong secrets for two different sets of active keys - the same code
//        path over different objects, i.e. the memory-layout noise floor (b) and (d) sit on
// Each runs with plain SHA-256 and with an HMAC pepper. Exit code 1 when a gating comparison
// reaches |t| >= 4.5 in any configuration. Results go to security/timing-results.json; the
// figures and their reading are in docs/security.md ("Timing").

import { randomFillSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createKeyward, MemoryStore } from '../packages/core/dist/index.js';

const THRESHOLD = 4.5;
const PREFIX = 'acme';
const IP = '192.0.2.1';
const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const SAMPLES = Number(arg('samples') ?? 400_000);
const CONTROL_SAMPLES = Math.min(SAMPLES, 200_000);
const WARMUP = 50_000;
const BATCH = 10_000;
/** Each comparison's samples are split over this many epochs, each on a freshly filled cache. */
const EPOCHS = Number(arg('epochs') ?? 100);
const EPOCH_WARMUP = 5_000;
/** Requests per class; each measurement picks one at random (see the header). */
const POOL = Number(arg('pool') ?? 1024);
const POOL_MASK = POOL - 1;
if (!(POOL >= 1 && POOL <= 65_536 && (POOL & POOL_MASK) === 0)) {
  throw new Error('--pool must be a power of two up to 65536');
}
const TIME_BUDGET_MS = 300_000;
const OUTPUT = fileURLToPath(new URL('./timing-results.json', import.meta.url));

// --- Key format, reimplemented (CRC-32 IEEE of everything before it, 6 base62 chars). ---------

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(text) {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function checksum(text) {
  let out = '';
  let rest = crc32(text);
  for (let i = 0; i < 6; i++) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

function formatKey(environment, id, secret) {
  const body = `${PREFIX}_${environment}_${id}_${secret}`;
  return body + checksum(body);
}

function splitKey(key) {
  const match =
    /^([a-z0-9]+)_(live|test)_([0-9A-Za-z]{12})_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/.exec(key);
  if (!match) throw new Error('not a keyward key');
  const [, prefix, environment, id, secret, sum] = match;
  return { prefix, environment, id, secret, sum };
}

/** `char` replaced at `index` by another base62 char. */
function changeAt(text, index) {
  const next = BASE62[(BASE62.indexOf(text[index]) + 1) % 62];
  return text.slice(0, index) + next + text.slice(index + 1);
}

function randomBase62(length) {
  const bytes = randomFillSync(new Uint8Array(length * 2));
  let out = '';
  for (const byte of bytes) if (byte < 248 && out.length < length) out += BASE62[byte % 62];
  if (out.length < length) return randomBase62(length);
  return out;
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates on CSPRNG draws). */
function shuffled(n) {
  const order = Array.from({ length: n }, (_, i) => i);
  const draws = randomFillSync(new Uint32Array(n));
  for (let i = n - 1; i > 0; i--) {
    const j = draws[i] % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

// --- Statistics. -----------------------------------------------------------------------------

/** Welch's t of two sorted samples, each cropped to its values below `limit`. */
function welch(sorted0, prefix0, sorted1, prefix1, limit) {
  const n0 = limit === Number.POSITIVE_INFINITY ? sorted0.length : lowerBound(sorted0, limit);
  const n1 = limit === Number.POSITIVE_INFINITY ? sorted1.length : lowerBound(sorted1, limit);
  if (n0 < 2 || n1 < 2) {
    return { t: 0, n0, n1, mean0: Number.NaN, mean1: Number.NaN, se: Number.NaN };
  }
  const [m0, v0] = moments(prefix0, n0);
  const [m1, v1] = moments(prefix1, n1);
  const se = Math.sqrt(v0 / n0 + v1 / n1);
  return { t: (m0 - m1) / se, n0, n1, mean0: m0 + prefix0.shift, mean1: m1 + prefix1.shift, se };
}

/** Prefix sums of values shifted by `shift` (keeps the sums of squares well conditioned). */
function prefixSums(sorted, shift) {
  const sum = new Float64Array(sorted.length + 1);
  const squares = new Float64Array(sorted.length + 1);
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i] - shift;
    sum[i + 1] = sum[i] + x;
    squares[i + 1] = squares[i] + x * x;
  }
  return { sum, squares, shift };
}

function moments(prefix, n) {
  const mean = prefix.sum[n] / n;
  const variance = (prefix.squares[n] - n * mean * mean) / (n - 1);
  return [mean, Math.max(variance, 0)];
}

function lowerBound(sorted, value) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const round = (x, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

function analyse(times0, times1) {
  const sorted0 = times0.slice().sort();
  const sorted1 = times1.slice().sort();
  const pooled = new Float64Array(sorted0.length + sorted1.length);
  pooled.set(sorted0);
  pooled.set(sorted1, sorted0.length);
  pooled.sort();
  const shift = quantile(pooled, 0.5);
  const prefix0 = prefixSums(sorted0, shift);
  const prefix1 = prefixSums(sorted1, shift);
  const raw = welch(sorted0, prefix0, sorted1, prefix1, Number.POSITIVE_INFINITY);
  // dudect's crops: keep values below the pooled p-th percentile, p = 1 - 0.5^(10 (i+1) / 100).
  const crops = [];
  for (let i = 0; i < 100; i++) {
    const p = 1 - 0.5 ** ((10 * (i + 1)) / 100);
    crops.push({
      percentile: p,
      ...welch(sorted0, prefix0, sorted1, prefix1, quantile(pooled, p)),
    });
  }
  const worst = crops.reduce((a, b) => (Math.abs(b.t) > Math.abs(a.t) ? b : a));
  const at = (p) =>
    crops.reduce((a, b) => (Math.abs(b.percentile - p) < Math.abs(a.percentile - p) ? b : a));
  const summary = (r) => ({
    t: round(r.t),
    n: [r.n0, r.n1],
    meanNs: [round(r.mean0, 1), round(r.mean1, 1)],
  });
  return {
    samples: [times0.length, times1.length],
    medianNs: [quantile(sorted0, 0.5), quantile(sorted1, 0.5)],
    p99Ns: [quantile(sorted0, 0.99), quantile(sorted1, 0.99)],
    raw: summary(raw),
    cropped: {
      p50: { percentile: round(at(0.5).percentile, 4), ...summary(at(0.5)) },
      p90: { percentile: round(at(0.9).percentile, 4), ...summary(at(0.9)) },
      p99: { percentile: round(at(0.99).percentile, 4), ...summary(at(0.99)) },
      maxAbs: { percentile: round(worst.percentile, 4), ...summary(worst) },
    },
    maxAbsT: round(Math.max(Math.abs(raw.t), Math.abs(worst.t))),
    // The smallest difference of mean times that would reach |t| = 4.5 on the median crop.
    detectableNs: round(THRESHOLD * at(0.5).se, 1),
  };
}

/** Class 0's mean minus class 1's, each over its samples below the two classes' pooled median. */
function croppedMeanDifference(times0, times1) {
  const pooled = Float64Array.from([...times0, ...times1]).sort();
  const limit = quantile(pooled, 0.5);
  const mean = (times) => {
    let sum = 0;
    let n = 0;
    for (const t of times) {
      if (t < limit) {
        sum += t;
        n++;
      }
    }
    return n === 0 ? Number.NaN : sum / n;
  };
  return mean(times0) - mean(times1);
}

/**
 * One-sample t of the per-epoch differences (each epoch is one draw of the cache layout): a check
 * that treats the epoch, not the sample, as the unit, so layout left within an epoch cannot
 * inflate it. Reported beside the dudect verdict, not part of it.
 */
function epochTest(differences) {
  const values = differences.filter((d) => Number.isFinite(d));
  const n = values.length;
  if (n < 2) return { n, t: 0, meanNs: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { n, t: round(mean / Math.sqrt(variance / n)), meanNs: round(mean, 1) };
}

// --- Measurement. ----------------------------------------------------------------------------

/**
 * A new request object for `key`, its header value a new flat string: every measurement reads
 * freshly allocated request memory, whichever class it belongs to, so the addresses of long-lived
 * per-class input objects cannot tell the classes apart (with reused request objects, two sets of
 * identical active keys, calibration (ab), reached |t| 24-34 on the reference machine).
 */
function freshRequest(key) {
  const header = Buffer.from(`Bearer ${key}`, 'latin1').toString('latin1');
  return { headers: { authorization: header }, ip: IP };
}

/** Times `samples` verify calls, each on a class picked by a CSPRNG coin; appends to `into`. */
function measure(keyward, requests, samples, into) {
  const coins = new Uint32Array(BATCH);
  const deltas = new Float64Array(BATCH);
  const classes = new Uint8Array(BATCH);
  for (let done = 0; done < samples; done += BATCH) {
    const size = Math.min(BATCH, samples - done);
    randomFillSync(coins);
    for (let i = 0; i < size; i++) {
      const coin = coins[i];
      const cls = coin & 1;
      const request = freshRequest(requests[cls][(coin >>> 1) & POOL_MASK]);
      const start = process.hrtime.bigint();
      keyward.verify(request);
      const end = process.hrtime.bigint();
      deltas[i] = Number(end - start);
      classes[i] = cls;
    }
    for (let i = 0; i < size; i++) into[classes[i]].push(deltas[i]);
  }
}

/** Runs each class until V8 has optimised the path, and checks what each class returns. */
function warmUp(keyward, requests, expected, calls) {
  for (let i = 0; i < calls; i++) {
    const cls = i & 1;
    const result = keyward.verify(freshRequest(requests[cls][(i >>> 1) & POOL_MASK]));
    if (typeof result?.then === 'function') {
      throw new Error('verify returned a Promise: the record is not cached, the check is void');
    }
    const code = result.ok ? 'ok' : result.code;
    if (code !== expected[cls]) {
      throw new Error(`class ${cls} answered ${code}, expected ${expected[cls]}`);
    }
  }
}

/** A MemoryStore that counts reads, to prove nothing reached the store while measuring. */
class CountingStore extends MemoryStore {
  reads = 0;
  getKey(id) {
    this.reads++;
    return super.getKey(id);
  }
}

async function configuration(name, pepper) {
  const store = new CountingStore();
  const newKeyward = () =>
    createKeyward({
      prefix: PREFIX,
      environments: ['live'],
      store,
      pepper,
      failedAttempts: false,
      cache: { ttlMs: 3_600_000, negativeTtlMs: 3_600_000 },
    });
  const keyward = newKeyward();
  // Each class is a pool of keys; freshRequest() wraps one in a new request per measurement.
  const valid = [];
  const wrongFirst = [];
  const wrongLast = [];
  const unknown = [];
  const unknownFill = [];
  const revokedWrong = [];
  const otherWrong = [];
  const ids = new Set();
  const issue = async (name) => {
    const { key } = await keyward.create({ name, environment: 'live', scopes: ['*'] });
    const parts = splitKey(key);
    if (checksum(key.slice(0, -6)) !== parts.sum) {
      throw new Error('the local CRC32/base62 checksum does not match core: fix timing.mjs');
    }
    ids.add(parts.id);
    return { key, parts };
  };
  for (let i = 0; i < POOL; i++) {
    const { key, parts } = await issue(`timing ${i}`);
    valid.push(key);
    wrongFirst.push(formatKey('live', parts.id, changeAt(parts.secret, 0)));
    wrongLast.push(formatKey('live', parts.id, changeAt(parts.secret, 42)));
    // Unknown-id requests are built in the same loop as the known-id ones (and the cache is filled
    // through separate objects), so neither class's request objects sit differently in memory:
    // building them in a later tight loop alone made them measurably faster to read.
    let unknownId;
    do unknownId = randomBase62(12);
    while (ids.has(unknownId));
    ids.add(unknownId);
    unknown.push(formatKey('live', unknownId, randomBase62(43)));
    unknownFill.push(formatKey('live', unknownId, randomBase62(43)));
    const other = await issue(`other ${i}`);
    otherWrong.push(formatKey('live', other.parts.id, changeAt(other.parts.secret, 42)));
    const revoked = await issue(`revoked ${i}`);
    await keyward.revoke(revoked.parts.id);
    revokedWrong.push(formatKey('live', revoked.parts.id, changeAt(revoked.parts.secret, 42)));
  }
  // Every epoch measures on a new keyward instance (a new record cache) filled in a new random
  // order, so where each class's cache entries sit in memory is re-drawn every epoch: a layout
  // that happens to favour one class becomes noise across epochs instead of a fixed bias. With
  // one cache filled once, two sets of identical active keys, calibration (ab), reached |t| 6-40.
  const fills = [...valid, ...unknownFill, ...revokedWrong, ...otherWrong];
  const epochKeyward = async () => {
    const instance = newKeyward();
    const order = shuffled(fills.length);
    for (const index of order) await instance.verify(freshRequest(fills[index]));
    return instance;
  };
  keyward.close();
  const comparisons = [
    {
      id: 'a',
      name: 'wrong secret: first char differs vs last char differs',
      classes: ['wrong secret, first char changed', 'wrong secret, last char changed'],
      requests: [wrongFirst, wrongLast],
      expected: ['invalid_key', 'invalid_key'],
      samples: SAMPLES,
      gating: true,
    },
    {
      id: 'b',
      name: 'unknown id vs wrong secret for a known id',
      classes: ['unknown id (negative cache)', 'known id, wrong secret (record cache)'],
      requests: [unknown, wrongFirst],
      expected: ['invalid_key', 'invalid_key'],
      samples: SAMPLES,
      gating: true,
    },
    {
      id: 'd',
      name: 'wrong secret: active key vs revoked key',
      classes: ['active key, wrong secret', 'revoked key, wrong secret'],
      requests: [wrongLast, revokedWrong],
      expected: ['invalid_key', 'invalid_key'],
      samples: SAMPLES,
      gating: true,
    },
    {
      id: 'c',
      name: 'control: valid key vs wrong secret (expected to differ)',
      classes: ['valid key', 'known id, wrong secret'],
      requests: [valid, wrongLast],
      expected: ['ok', 'invalid_key'],
      samples: CONTROL_SAMPLES,
      gating: false,
    },
    {
      id: 'aa',
      name: 'calibration A/A: both classes draw from the same wrong-secret requests',
      classes: ['known id, wrong secret', 'the same requests'],
      requests: [wrongFirst, wrongFirst],
      expected: ['invalid_key', 'invalid_key'],
      samples: CONTROL_SAMPLES,
      gating: false,
      expectSame: true,
    },
    {
      id: 'ab',
      name: 'calibration A/B: wrong secrets for two different sets of active keys',
      classes: ['active keys, set 1, wrong secret', 'active keys, set 2, wrong secret'],
      requests: [wrongLast, otherWrong],
      expected: ['invalid_key', 'invalid_key'],
      samples: CONTROL_SAMPLES,
      gating: false,
      expectSame: true,
    },
  ];
  const results = [];
  const only = arg('only')?.split(',');
  for (const c of comparisons) {
    if (only !== undefined && !only.includes(c.id)) continue;
    const into = [[], []];
    const epochDifferences = [];
    const started = performance.now();
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      const keyward = await epochKeyward();
      warmUp(keyward, c.requests, c.expected, epoch === 0 ? WARMUP : EPOCH_WARMUP);
      const readsBefore = store.reads;
      const from = [into[0].length, into[1].length];
      measure(keyward, c.requests, Math.ceil(c.samples / EPOCHS), into);
      if (store.reads !== readsBefore) throw new Error('a store read happened while measuring');
      keyward.close();
      epochDifferences.push(croppedMeanDifference(into[0].slice(from[0]), into[1].slice(from[1])));
    }
    const seconds = (performance.now() - started) / 1000;
    const times0 = Float64Array.from(into[0]);
    const times1 = Float64Array.from(into[1]);
    const stats = { ...analyse(times0, times1), epochs: epochTest(epochDifferences) };
    const differs = stats.maxAbsT >= THRESHOLD;
    const pass = c.gating || c.expectSame ? !differs : differs;
    let verdict;
    if (c.gating) verdict = pass ? 'no leak detected' : 'LEAK: |t| >= 4.5';
    else if (c.expectSame)
      verdict = pass ? 'no false positive' : 'FALSE POSITIVE: method unreliable here';
    else verdict = pass ? 'difference detected (method works)' : 'NOT detected: method too weak';
    results.push({
      configuration: name,
      comparison: c.id,
      name: c.name,
      classes: c.classes,
      gating: c.gating,
      seconds: round(seconds, 1),
      ...stats,
      verdict,
      pass,
    });
    const r = results.at(-1);
    console.log(
      `${name.padEnd(12)} (${c.id}) ${c.name}\n` +
        `    n=${r.samples.join('/')}  median ${r.medianNs.join('/')} ns  ` +
        `raw t=${r.raw.t}  cropped t: p50=${r.cropped.p50.t} p90=${r.cropped.p90.t} ` +
        `p99=${r.cropped.p99.t} max|t|=${Math.abs(r.cropped.maxAbs.t)} @p${round(r.cropped.maxAbs.percentile * 100, 1)}` +
        `  detectable ${r.detectableNs} ns  per-epoch t=${r.epochs.t}` +
        `  (${r.seconds}s) → ${r.verdict}`,
    );
  }
  return results;
}

/** JSON as Biome formats it: 2-space indent, arrays of scalars on one line when they fit. */
function toJson(value) {
  return `${JSON.stringify(value, null, 2).replace(
    /^( *)("[^"]*": )?\[\n[^[\]{}]*?\n *\]/gm,
    (block, indent, name = '') => {
      const items = block
        .slice(block.indexOf('[') + 1, block.lastIndexOf(']'))
        .split(',\n')
        .map((item) => item.trim());
      const line = `${indent}${name}[${items.join(', ')}]`;
      return line.length <= 100 ? line : block;
    },
  )}\n`;
}

// --- Main. -----------------------------------------------------------------------------------

const started = Date.now();
const cpu = cpus();
const machine = {
  cpu: cpu[0]?.model.trim() ?? 'unknown',
  cores: cpu.length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  os: `${platform()} ${release()}`,
  node: process.version,
  loadAverage1m: round(loadavg()[0] ?? 0),
};
let step = Number.POSITIVE_INFINITY;
for (let i = 0; i < 100_000; i++) {
  const a = process.hrtime.bigint();
  const d = Number(process.hrtime.bigint() - a);
  if (d > 0 && d < step) step = d;
}
console.log(
  `keyward timing check: ${SAMPLES} samples for (a)/(b)/(d), ${CONTROL_SAMPLES} for (c)/(aa)/(ab), ` +
    `${POOL} requests per class; ` +
    `timer step ${step} ns; ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`,
);
const results = [];
for (const [name, pepper] of [
  ['sha256', undefined],
  ['hmac-sha256', 'timing-check-pepper-0123456789'],
]) {
  results.push(...(await configuration(name, pepper)));
  if (Date.now() - started > TIME_BUDGET_MS) {
    console.log('time budget spent; skipping the remaining configurations');
    break;
  }
}
const failed = results.filter((r) => r.gating && !r.pass);
const checksMissed = results.filter((r) => !r.gating && !r.pass);
const report = {
  tool: 'security/timing.mjs (dudect-style Welch t-test)',
  date: new Date().toISOString(),
  machine,
  timerStepNs: step,
  method: {
    measurement: 'one keyward.verify call per sample, process.hrtime.bigint() around it',
    classAssignment: 'CSPRNG coin per measurement (crypto.randomFillSync)',
    requestsPerClass: POOL,
    request: 'a new request object and a new flat header string per measurement',
    epochs: EPOCHS,
    cacheFill: 'per epoch: a new keyward instance, its cache filled in a CSPRNG-shuffled order',
    warmUpCalls: { firstEpoch: WARMUP, laterEpochs: EPOCH_WARMUP },
    crops: "raw, and dudect's 100 crops below the pooled percentile 1 - 0.5^(10(i+1)/100)",
    threshold: THRESHOLD,
    setup: 'MemoryStore, cache ttl and negative ttl 1 h, failedAttempts: false, no onEvent',
  },
  results,
  verdict: failed.length === 0 ? 'pass' : 'fail',
  seconds: round((Date.now() - started) / 1000, 1),
};
writeFileSync(OUTPUT, toJson(report));
console.log(
  `\n${failed.length === 0 ? 'PASS' : 'FAIL'}: gating (a)/(b)/(d) max |t| ` +
    results
      .filter((r) => r.gating)
      .map((r) => `${r.configuration}/${r.comparison}=${r.maxAbsT}`)
      .join(', ') +
    `; control and calibrations ` +
    results
      .filter((r) => !r.gating)
      .map((r) => `${r.configuration}/${r.comparison}=${r.maxAbsT}`)
      .join(', ') +
    ` (threshold ${THRESHOLD}); ${report.seconds}s; written to security/timing-results.json`,
);
for (const r of checksMissed) {
  console.log(
    `warning: ${r.configuration} (${r.comparison}) ${r.verdict}; treat the verdict with care`,
  );
}
process.exit(failed.length === 0 ? 0 : 1);
