// Shared helpers for the benchmark sections: timing (warm-up, interleaved rounds, medians),
// memory (heap deltas after GC), report formatting, loading the built packages, and handing
// results back to bench/run.mjs.
//
// A section is a file bench/<name>.mjs that measures, prints a readable report as it goes, and
// ends with `await publish({ figures, details })`. run.mjs runs each section in its own child
// process (fresh JIT and heap) with --expose-gc and collects what it publishes. A section that
// cannot run (a service is down, say) should say why and exit non-zero without publishing: the
// runner then reports it as failed and keeps its previous figures in results.json.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT_DIR = path.resolve(BENCH_DIR, '..');

// ---------------------------------------------------------------------------------------------
// Loading what is measured

/**
 * Imports a built workspace package (packages/<name>/dist/index.js, or another dist entry).
 * Benchmarks measure what users install, so they never import sources.
 *
 * @example
 * const { createKeyward, MemoryStore } = await loadPackage('core');
 */
export async function loadPackage(name, entry = 'index.js') {
  const file = path.join(ROOT_DIR, 'packages', name, 'dist', entry);
  if (!existsSync(file)) {
    throw new Error(
      `${path.relative(ROOT_DIR, file)} is missing: build it first ` +
        `(npx pnpm@10 --filter @keyward/${name} build, or npx pnpm@10 bench to build everything)`,
    );
  }
  return import(pathToFileURL(file).href);
}

/**
 * Where bench/_snapshot-build.mjs keeps its copy of a package's build: inside the package's own
 * node_modules, so the copy's bare imports resolve as the package's do.
 */
export function snapshotDir(name) {
  return path.join(ROOT_DIR, 'packages', name, 'node_modules', '.keyward-snapshot');
}

/**
 * Imports the snapshot of a package's build (see bench/_snapshot-build.mjs), to measure an
 * earlier build beside the current one.
 *
 * @example
 * const { createKeyward } = await loadSnapshot('core');
 */
export async function loadSnapshot(name) {
  const file = path.join(snapshotDir(name), 'index.js');
  if (!existsSync(file)) {
    throw new Error(`no snapshot of ${name}: run node bench/_snapshot-build.mjs first`);
  }
  return import(pathToFileURL(file).href);
}

/**
 * Imports a dependency of a workspace package by file path (e.g. core's @noble/hashes), for
 * reference measurements of what the package uses internally.
 *
 * @example
 * const { sha256 } = await loadPackageDependency('core', '@noble/hashes/sha2.js');
 */
export async function loadPackageDependency(name, specifier) {
  const file = path.join(ROOT_DIR, 'packages', name, 'node_modules', specifier);
  if (!existsSync(file)) throw new Error(`${specifier} is not installed for packages/${name}`);
  return import(pathToFileURL(file).href);
}

// ---------------------------------------------------------------------------------------------
// Settings and tools

/**
 * An integer setting from the environment (`text`), `fallback` when unset; throws outside min–max.
 *
 * @example
 * const SECONDS = boundedInt(process.env.BENCH_HTTP_SECONDS, 3, 1, 30);
 */
export function boundedInt(text, fallback, min, max) {
  const value = text === undefined ? fallback : Number.parseInt(text, 10);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`expected an integer in ${min}–${max}, got ${text}`);
  }
  return value;
}

/**
 * Whether `command` is on the PATH.
 *
 * @example
 * const pin = onPath('taskset');
 */
export function onPath(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The route patterns of the core section's routed key (#14). */
export const BENCH_ROUTES = [
  'GET /invoices',
  'GET /invoices/*',
  'POST /reports/**',
  'GET /customers/*/orders',
];

/**
 * The routed key's request paths: distinct, so the route check's last-path memo misses as with
 * real traffic; flat strings, as Node's HTTP parser hands `req.url` over (a template literal makes
 * a cons string, whose every char read goes through one more pointer: the route check alone took
 * 115 ns on those against 89 on flat ones, 2026-12-07; runs before that date measured cons strings).
 */
export const BENCH_PATHS = Array.from({ length: 64 }, (_, i) =>
  Buffer.from(`/invoices/inv_${i}?expand=lines`, 'latin1').toString('latin1'),
);

// ---------------------------------------------------------------------------------------------
// Timing

let sinkValue;
/**
 * Keeps a value observable so the JIT cannot drop the work that produced it.
 *
 * @example
 * run(n) { for (let i = 0; i < n; i++) blackhole(work()); }
 */
export function blackhole(value) {
  sinkValue = value;
}
/** The last value passed to {@link blackhole}. */
export function lastSunk() {
  return sinkValue;
}

function nowNs() {
  return process.hrtime.bigint();
}

/** Wall-clock and process CPU time (user + system, all threads) of one batch, in ns. */
async function timeBatch(run, iterations) {
  const cpuStart = process.cpuUsage();
  const start = nowNs();
  const pending = run(iterations);
  if (pending !== undefined && typeof pending.then === 'function') await pending;
  const wall = Number(nowNs() - start);
  const cpu = process.cpuUsage(cpuStart);
  return { wall, cpu: (cpu.user + cpu.system) * 1000 };
}

/**
 * Median of the per-round ratios a[i][field] / b[i][field] of two interleaved series, with min and
 * max and the ratios themselves.
 *
 * @example
 * const rps = roundRatio(runs.keyward, runs.bare, 'rps'); // rps.median, rps.min, rps.max
 */
export function roundRatio(a, b, field) {
  const perRound = a.map((run, i) => run[field] / b[i][field]);
  return {
    median: median(perRound),
    min: Math.min(...perRound),
    max: Math.max(...perRound),
    perRound,
  };
}

/** Median of numbers (does not modify the input). */
export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Measures several cases in interleaved rounds: every round runs each case once, in an order that
 * rotates between rounds (A B C, B C A, C A B, …), so slow phases of a noisy machine hit every
 * case alike. Each case is a function `run(n)` doing n operations (sync, or async returning a
 * Promise, which is awaited and counted). Iterations per batch are calibrated so one batch lasts
 * about `batchMs`. Every loop is bounded in count and time.
 *
 * Returns one result per case with two bases, `cpu` (this process's CPU time, user + system, all
 * threads: steady when other processes compete for the cores) and `wall` (wall-clock time): for
 * each the median ns/op, ops/s, min, max, and the per-round samples (aligned by round, so
 * {@link ratio} can divide round by round).
 *
 * @example
 * const [a, b] = await compare([{ name: 'a', run: (n) => {...} }, { name: 'b', run: (n) => {...} }]);
 * console.log(a.cpu.nsPerOp, ratio(a, b).cpu.median);
 */
export async function compare(cases, options = {}) {
  const {
    rounds = 12,
    minRounds = 5,
    batchMs = 40,
    warmupMs = 250,
    maxMs = 30_000,
    maxIterations = 5_000_000,
  } = options;
  const started = Date.now();
  const calibrated = [];
  for (const item of cases) {
    // Warm-up doubles as calibration: grow the batch until it is long enough to time.
    let iterations = 1;
    let elapsedNs = 0;
    const warmupEnd = Date.now() + warmupMs;
    for (let step = 0; step < 40; step++) {
      elapsedNs = (await timeBatch(item.run, iterations)).wall;
      if (elapsedNs >= (batchMs * 1e6) / 4 && Date.now() >= warmupEnd) break;
      if (elapsedNs < (batchMs * 1e6) / 4 && iterations < maxIterations) {
        iterations = Math.min(maxIterations, iterations * 2);
      }
      if (Date.now() - started > maxMs) break;
    }
    const perOp = elapsedNs / iterations;
    calibrated.push({
      item,
      iterations: Math.max(1, Math.min(maxIterations, Math.round((batchMs * 1e6) / perOp))),
      samples: [],
      cpuSamples: [],
    });
  }
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < calibrated.length; k++) {
      const entry = calibrated[(round + k) % calibrated.length];
      const { wall, cpu } = await timeBatch(entry.item.run, entry.iterations);
      entry.samples.push(wall / entry.iterations);
      entry.cpuSamples.push(cpu / entry.iterations);
    }
    if (round + 1 >= minRounds && Date.now() - started > maxMs) break;
  }
  return calibrated.map((entry) => summarize(entry));
}

function summarize({ item, iterations, samples, cpuSamples }) {
  return {
    name: item.name,
    rounds: samples.length,
    iterationsPerRound: iterations,
    cpu: stats(cpuSamples),
    wall: stats(samples),
  };
}

/** Median, ops/s, min, max and the per-round samples of one basis (CPU or wall-clock time). */
function stats(samples) {
  const nsPerOp = median(samples);
  return {
    nsPerOp,
    opsPerSec: 1e9 / nsPerOp,
    minNs: Math.min(...samples),
    maxNs: Math.max(...samples),
    samples: samples.map((value) => Math.round(value * 10) / 10),
  };
}

/**
 * Ratio of two {@link compare} results of the same run, computed round by round (each round's A
 * over the same round's B) and summarised by its median, which is steadier than dividing medians.
 * Given for both bases: `cpu` (process CPU time) and `wall` (wall-clock time).
 *
 * @example
 * ratio(verify, sha256).cpu.median // e.g. 2.4 → verify costs 2.4 SHA-256s
 */
export function ratio(a, b) {
  const of = (basis) => {
    const x = a[basis].samples;
    const y = b[basis].samples;
    const perRound = [];
    for (let i = 0; i < Math.min(x.length, y.length); i++) perRound.push(x[i] / y[i]);
    return { median: median(perRound), min: Math.min(...perRound), max: Math.max(...perRound) };
  };
  return { cpu: of('cpu'), wall: of('wall') };
}

// ---------------------------------------------------------------------------------------------
// Memory

/**
 * V8 heap in use after full garbage collections. Needs `node --expose-gc` (run.mjs passes it).
 *
 * @example
 * const before = heapUsedAfterGc(); build(); const perItem = (heapUsedAfterGc() - before) / count;
 */
export function heapUsedAfterGc() {
  if (typeof globalThis.gc !== 'function') {
    throw new Error('memory figures need node --expose-gc (bench/run.mjs passes it)');
  }
  for (let i = 0; i < 3; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** ns/op in a readable unit: "812 ns", "3.41 µs", "1.20 ms". */
export function formatNs(ns) {
  if (!Number.isFinite(ns)) return String(ns);
  if (ns < 1_000) return `${ns.toFixed(ns < 100 ? 1 : 0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(2)} µs`;
  return `${(ns / 1_000_000).toFixed(2)} ms`;
}

/** Operations per second with thousands separators: "1,234,567/s". */
export function formatOps(opsPerSec) {
  return `${Math.round(opsPerSec).toLocaleString('en-US')}/s`;
}

/** Bytes in a readable unit. */
export function formatBytes(bytes) {
  if (Math.abs(bytes) < 10_000) return `${Math.round(bytes)} B`;
  if (Math.abs(bytes) < 10_000_000) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A ratio as "2.41×". */
export function formatRatio(value) {
  return `${value.toFixed(2)}×`;
}

/**
 * Prints rows as an aligned text table; the first row is the header.
 *
 * @example
 * printTable([['case', 'ns/op'], ['verify', '812 ns']]);
 */
export function printTable(rows, indent = '  ') {
  const widths = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, String(cell).length);
    });
  }
  rows.forEach((row, r) => {
    const line = row
      .map((cell, i) =>
        i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]),
      )
      .join('  ');
    console.log(indent + line.trimEnd());
    if (r === 0) console.log(indent + widths.map((w) => '-'.repeat(w)).join('  '));
  });
}

/** Prints a section heading. */
export function heading(title) {
  console.log(`\n${title}\n${'='.repeat(title.length)}`);
}

/** Prints a sub-heading. */
export function subheading(title) {
  console.log(`\n${title}`);
}

// ---------------------------------------------------------------------------------------------
// Results

/**
 * One saved figure: a value with its unit and which direction is better, so run.mjs can compare
 * it with the previous run.
 *
 * @example
 * figures['verify.ns'] = figure('verify, cached path', 812, 'ns/op', 'lower');
 */
export function figure(label, value, unit, better) {
  return { label, value: Number(value.toPrecision(6)), unit, better };
}

/** Drops a key table `migrate()` of @keyward/postgres created and the tables beside it. */
export async function dropPostgresTables(pool, table) {
  const suffixes = ['', '_usage', '_last_used', '_usage_batches', '_audit', '_meta'];
  await pool.query(`DROP TABLE IF EXISTS ${suffixes.map((s) => `"${table}${s}"`).join(', ')}`);
}

/** Facts about this machine and run, saved next to the figures. */
export function machineInfo() {
  const cpus = os.cpus();
  let commit;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT_DIR,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
  } catch {
    commit = undefined;
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
    loadAverage: os.loadavg().map((load) => Number(load.toFixed(2))),
    commit,
  };
}

/**
 * Hands a section's results to bench/run.mjs (which saves them to bench/results.json). When the
 * section runs on its own (`node --expose-gc bench/core.mjs`), the results are only printed.
 *
 * @example
 * await publish({ figures, details });
 */
export async function publish(results) {
  const payload = { type: 'bench-results', results: { machine: machineInfo(), ...results } };
  if (typeof process.send === 'function') {
    await new Promise((resolve, reject) => {
      process.send(payload, (error) => (error ? reject(error) : resolve()));
    });
    process.disconnect();
  } else {
    console.log('\n(run through `node bench/run.mjs <section>` to save these figures)');
  }
}
