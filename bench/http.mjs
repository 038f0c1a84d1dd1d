// HTTP section: requests per second through @keyward/express, @keyward/koa and @keyward/fastify
// against, in the same interleaved run (#13): the same hello-world app without authentication
// (bare); the floor, the least that meets #3 (a node:crypto SHA-256 of the Bearer token looked up
// in a Map, and the two RateLimit headers every verified response must carry; variant `floorh`);
// and the peer, what users pick instead (Express: that check + express-rate-limit 8; Koa: that
// check + koa-ratelimit 6, memory driver; Fastify: @fastify/bearer-auth 10 + @fastify/rate-limit
// 11). Targets: keyward / floor ≥ 0.95 and keyward / peer ≥ 1.10 on each framework.
// BENCH_HTTP_VARIANTS=noop,floor adds a no-op middleware (the floor any middleware sits on) and
// the floor without the headers; `base` adds keyward from a snapshot of an earlier build
// (bench/_snapshot-build.mjs), to compare two builds. Run: node bench/run.mjs http
//
// Every server runs in its own child process (bench/_http-server.mjs). The load generator is, by
// default, bench/_loadgen.mjs in a process of its own: a client that never sleeps, so the server's
// writes never pay for waking it (see that file; on this VM that wake-up cost grows with every
// microsecond the server adds, which a server in production, whose clients are elsewhere, never
// pays). BENCH_HTTP_LOADGEN=wrk or =autocannon measure with those instead. On a machine of 2+
// cores with taskset, the server is pinned to CPU 1 and the load generator (not autocannon, which
// runs in this process) to CPU 0, so neither migrates onto the other's core mid-run. Loopback
// only, keep-alive connections. Every round starts new server processes for each variant of a
// framework. By default the busy client then loads them in alternating slices of 250 ms (each
// variant once per cycle, in an order that rotates between cycles; see _loadgen.mjs --slices):
// this VM's speed drifts by up to 1.9× over seconds, and slices a second apart see the same
// speed, so a round's ratio is the median of its cycles' ratios. With BENCH_HTTP_SLICE_MS=0 (and
// with wrk or autocannon) each server is loaded alone for the round's run, back to back, in an
// order that rotates between rounds. Ratios are the median of the per-round ratios.
//
// Environment (for quick trials; the defaults are what docs/benchmarks.md reports):
//   BENCH_HTTP_SECONDS   seconds per measured run (default 3)
//   BENCH_HTTP_ROUNDS    rounds (default 9; at least 3 are always run)
//   BENCH_HTTP_ONLY      comma-separated frameworks to run (default express,koa,fastify)
//   BENCH_HTTP_VARIANTS  comma-separated extra variants: noop, floor, base (default none)
//   BENCH_HTTP_SLICE_MS  slice length of the sliced interleave (default 250; 0: each variant
//                        loaded alone for BENCH_HTTP_SECONDS in turn, as before 2026-12-07)
//   BENCH_HTTP_LOADGEN   poll (default), wrk (must be installed) or autocannon
//   BENCH_HTTP_CONNECTIONS  keep-alive connections (default 10; #13 measured autocannon with 50)
//   BENCH_HTTP_PIN       0 to not pin processes to cores
//   BENCH_HTTP_PROFILE   a directory: servers run with `node --cpu-prof` and write profiles there

import { execFile, fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os, { availableParallelism } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import {
  BENCH_DIR,
  boundedInt,
  figure,
  formatOps,
  formatRatio,
  heading,
  median,
  onPath,
  printTable,
  publish,
  roundRatio,
  subheading,
} from './lib.mjs';

const SECONDS = boundedInt(process.env.BENCH_HTTP_SECONDS, 3, 1, 30);
/** Slice length of the sliced interleave (0: each variant loaded alone for SECONDS, in turn). */
const SLICE_MS = boundedInt(process.env.BENCH_HTTP_SLICE_MS, 250, 0, 5000);
const ROUNDS = boundedInt(process.env.BENCH_HTTP_ROUNDS, 9, 3, 25);
const MIN_ROUNDS = 3;
const WARMUP_SECONDS = 2;
const CONNECTIONS = boundedInt(process.env.BENCH_HTTP_CONNECTIONS, 10, 1, 256);
const PIPELINING = 1;
/** Rounds beyond MIN_ROUNDS start only while the section is inside this budget. */
const BUDGET_MS = 10 * 60_000;
const PROFILE_DIR = process.env.BENCH_HTTP_PROFILE;
const LOADGEN = process.env.BENCH_HTTP_LOADGEN ?? 'poll';
if (!['poll', 'wrk', 'autocannon'].includes(LOADGEN)) {
  throw new RangeError(`BENCH_HTTP_LOADGEN must be poll, wrk or autocannon, not ${LOADGEN}`);
}
if (LOADGEN === 'wrk' && !onPath('wrk'))
  throw new Error('BENCH_HTTP_LOADGEN=wrk: wrk is not installed');
if (SLICE_MS !== 0 && SLICE_MS < 20)
  throw new RangeError('BENCH_HTTP_SLICE_MS must be 0 or 20–5000');
/** Whether variants are loaded in alternating slices (only the busy-polling client does that). */
const SLICED = SLICE_MS !== 0 && LOADGEN === 'poll';
const PIN =
  LOADGEN !== 'autocannon' &&
  process.env.BENCH_HTTP_PIN !== '0' &&
  availableParallelism() >= 2 &&
  onPath('taskset');
const SERVER_CPU = '1';
const LOADGEN_CPU = '0';

/** #13's targets: keyward over the floor (with headers) and over the peer, on every framework. */
const FLOOR_TARGET = 0.95;
const PEER_TARGET = 1.1;
const EXTRA_VARIANTS = (process.env.BENCH_HTTP_VARIANTS ?? '').split(',').filter((v) => v !== '');
for (const extra of EXTRA_VARIANTS) {
  if (!['noop', 'floor', 'base'].includes(extra)) {
    throw new RangeError(`BENCH_HTTP_VARIANTS may name noop, floor and base, not ${extra}`);
  }
}
const VARIANTS = ['bare', ...EXTRA_VARIANTS, 'floorh', 'keyward', 'peer'];
/** What each framework's peer is (#13). */
const PEERS = {
  express: 'SHA-256 Map check + express-rate-limit 8',
  koa: 'SHA-256 Map check + koa-ratelimit 6 (memory driver)',
  fastify: '@fastify/bearer-auth 10 + @fastify/rate-limit 11',
};
const FRAMEWORKS = [
  { name: 'express', label: 'Express 5', variants: VARIANTS },
  { name: 'koa', label: 'Koa 3', variants: VARIANTS },
  { name: 'fastify', label: 'Fastify 5', variants: VARIANTS },
].filter((f) => {
  const only = process.env.BENCH_HTTP_ONLY;
  return only === undefined || only.split(',').includes(f.name);
});

/** Whether `command` is on the PATH. */
// ---------------------------------------------------------------------------------------------
// Servers

let nextRequestId = 0;

/** Starts one server child and resolves once it listens: { child, port, key, cpu() }. */
function startServer(framework, variant) {
  const execArgv = ['--max-old-space-size=1024'];
  if (PROFILE_DIR !== undefined) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    execArgv.push(
      '--cpu-prof',
      `--cpu-prof-dir=${PROFILE_DIR}`,
      `--cpu-prof-name=${framework}-${variant}.cpuprofile`,
    );
  }
  // Pinned: `taskset -c 1 node <execArgv> _http-server.mjs …`, the IPC channel inherited.
  const child = fork(path.join(BENCH_DIR, '_http-server.mjs'), [framework, variant], {
    execPath: PIN ? 'taskset' : process.execPath,
    execArgv: PIN ? ['-c', SERVER_CPU, process.execPath, ...execArgv] : execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${framework}/${variant} did not start`)),
      30_000,
    );
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const error = new Error(
        `${framework}/${variant} server exited (${signal ?? `code ${code}`})`,
      );
      reject(error);
      // Questions it can no longer answer fail instead of waiting forever.
      for (const { fail } of pending.values()) fail(error);
      pending.clear();
    });
    /** Sends `type` to the server and resolves with its answer. */
    const ask = (type) =>
      new Promise((done, fail) => {
        const id = nextRequestId++;
        pending.set(id, { done, fail });
        child.send({ type, id });
      });
    child.on('message', (message) => {
      if (message?.type === 'ready') {
        clearTimeout(timer);
        resolve({
          framework,
          variant,
          child,
          port: message.port,
          key: message.key,
          /** The server process's CPU time so far, in µs (user + system). */
          cpu: () => ask('cpu').then((usage) => usage.user + usage.system),
          /** Starts V8's sampling profiler in the server. */
          profileStart: () => ask('profile-start'),
          /** Stops it; resolves with keyward's share of the busy samples. */
          profileStop: () => ask('profile-stop'),
        });
      } else if (pending.has(message?.id)) {
        pending.get(message.id).done(message.value);
        pending.delete(message.id);
      }
    });
  });
}

/** Ends a server child and waits for it (its CPU profile, if any, is written on exit). */
function stopServer(server) {
  const child = server.child;
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.removeAllListeners('exit');
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.disconnect();
    else child.kill('SIGTERM');
  });
}

/** One request with and one without the key, so a misconfigured server fails here, not in a table. */
async function checkServer(server) {
  const url = `http://127.0.0.1:${server.port}/`;
  const ok = await fetch(url, { headers: { authorization: `Bearer ${server.key}` } });
  const okBody = await ok.text();
  if (ok.status !== 200 || okBody !== '{"hello":"world"}') {
    throw new Error(`${server.framework}/${server.variant}: expected 200 hello, got ${ok.status}`);
  }
  const anonymous = await fetch(url);
  await anonymous.text();
  const expected = server.variant === 'bare' || server.variant === 'noop' ? 200 : 401;
  if (anonymous.status !== expected) {
    throw new Error(
      `${server.framework}/${server.variant}: a request without a key got ${anonymous.status}, expected ${expected}`,
    );
  }
  if (
    ['keyward', 'base', 'floorh'].includes(server.variant) &&
    ok.headers.get('ratelimit') === null
  ) {
    throw new Error(
      `${server.framework}/${server.variant}: no RateLimit header on a verified response`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Load

/** Runs the load generator against a server for `seconds`; rps, latency, server CPU/request. */
async function load(server, seconds) {
  const cpuBefore = await server.cpu();
  const run = { poll: runPoll, wrk: runWrk, autocannon: runAutocannon }[LOADGEN];
  const result = await run(server, seconds);
  const cpuAfter = await server.cpu();
  if (result.errors > 0 || result.non2xx > 0 || result.ok === 0) {
    throw new Error(
      `${server.framework}/${server.variant}: ${result.errors} socket errors or timeouts, ` +
        `${result.non2xx} non-2xx responses under load`,
    );
  }
  return {
    rps: result.ok / result.seconds,
    requests: result.ok,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    serverCpuUsPerRequest: (cpuAfter - cpuBefore) / result.ok,
  };
}

/**
 * Loads every server of `servers` in alternating slices for `seconds` in all (see
 * bench/_loadgen.mjs --slices): one run per server, as `load` returns, plus `cycleRates`, its
 * rate in each cycle, to be compared with the other servers' rates of the same cycle.
 */
async function loadSliced(servers, seconds) {
  const cpuBefore = await Promise.all(servers.map((server) => server.cpu()));
  const args = [
    path.join(BENCH_DIR, '_loadgen.mjs'),
    '--slices',
    String(SLICE_MS),
    String(seconds),
    String(CONNECTIONS),
    ...servers.map((server) => `${server.port}=Bearer ${server.key}`),
  ];
  const stdout = await runLoadgen(args, seconds, { maxBuffer: 64 << 20 });
  const cpuAfter = await Promise.all(servers.map((server) => server.cpu()));
  const { servers: totals, cycles } = JSON.parse(stdout);
  return servers.map((server, i) => {
    const result = totals[i];
    if (result.errors > 0 || result.non2xx > 0 || result.ok === 0) {
      throw new Error(
        `${server.framework}/${server.variant}: ${result.errors} socket errors or timeouts, ` +
          `${result.non2xx} non-2xx responses under load`,
      );
    }
    const ms = cycles.reduce((sum, cycle) => sum + cycle[i].ms, 0);
    return {
      rps: (result.ok / ms) * 1000,
      requests: result.ok,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      serverCpuUsPerRequest: (cpuAfter[i] - cpuBefore[i]) / result.ok,
      cycleRates: cycles.map((cycle) => (cycle[i].responses / cycle[i].ms) * 1000),
    };
  });
}

/**
 * Per round, how `a`'s requests per second compare with `b`'s: sliced runs give the median of
 * the per-cycle ratios (each cycle's slices lie within a second of each other), others the ratio
 * of the two runs. Returns roundRatio's shape.
 */
function rpsRatio(a, b) {
  if (a[0]?.cycleRates === undefined) return roundRatio(a, b, 'rps');
  const perRound = a.map((run, i) =>
    median(run.cycleRates.map((rate, cycle) => rate / b[i].cycleRates[cycle])),
  );
  return {
    median: median(perRound),
    min: Math.min(...perRound),
    max: Math.max(...perRound),
    perRound,
  };
}

async function runAutocannon(server, seconds) {
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}/`,
    connections: CONNECTIONS,
    pipelining: PIPELINING,
    duration: seconds,
    headers: { authorization: `Bearer ${server.key}` },
  });
  return {
    ok: result['2xx'],
    seconds: result.duration,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

const execFileAsync = promisify(execFile);

/**
 * Runs bench/_loadgen.mjs with `args` (pinned to its core when PIN) and returns what it printed.
 * Bounded: the run, plus the last slice's wait for its answers (10 s at most) and start-up.
 */
async function runLoadgen(args, seconds, options = {}) {
  const limits = { ...options, timeout: seconds * 1000 + 30_000 };
  const { stdout } = PIN
    ? await execFileAsync('taskset', ['-c', LOADGEN_CPU, process.execPath, ...args], limits)
    : await execFileAsync(process.execPath, args, limits);
  return stdout;
}

async function runPoll(server, seconds) {
  const args = [
    path.join(BENCH_DIR, '_loadgen.mjs'),
    String(server.port),
    String(seconds),
    String(CONNECTIONS),
    `Bearer ${server.key}`,
  ];
  return JSON.parse(await runLoadgen(args, seconds));
}

async function runWrk(server, seconds) {
  const args = [
    '-t1',
    `-c${CONNECTIONS}`,
    `-d${seconds}s`,
    '--latency',
    '-H',
    `authorization: Bearer ${server.key}`,
    `http://127.0.0.1:${server.port}/`,
  ];
  const { stdout } = PIN
    ? await execFileAsync('taskset', ['-c', LOADGEN_CPU, 'wrk', ...args])
    : await execFileAsync('wrk', args);
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(stdout);
  if (total === null) throw new Error(`unexpected wrk output:\n${stdout}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    stdout,
  );
  const errors = socket === null ? 0 : socket.slice(1).reduce((sum, n) => sum + Number(n), 0);
  return {
    ok: Number(total[1]) - non2xx,
    seconds: toMs(total[2], total[3]) / 1000,
    errors,
    non2xx,
    p50Ms: wrkPercentile(stdout, '50'),
    p99Ms: wrkPercentile(stdout, '99'),
  };
}

function toMs(value, unit) {
  const scale = { us: 1e-3, ms: 1, s: 1e3, m: 60e3 }[unit];
  return Number(value) * scale;
}

/** A latency percentile from wrk's --latency table ("  99%    1.23ms"), in ms. */
function wrkPercentile(stdout, percent) {
  const match = new RegExp(`^\\s+${percent}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(stdout);
  return match === null ? Number.NaN : toMs(match[1], match[2]);
}

/** Rotates `items` left by `by`: the order of one round. */
function rotate(items, by) {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

// ---------------------------------------------------------------------------------------------

const started = Date.now();
heading(
  `HTTP adapters: hello world, bare vs behind apiKeyAuth (load generator: ${LOADGEN}, loopback)`,
);
console.log(
  `  ${CONNECTIONS} keep-alive connections, pipelining ${PIPELINING}, ${SECONDS} s per variant after a ` +
    `${WARMUP_SECONDS} s warm-up per server; ${ROUNDS} interleaved rounds (at least ${MIN_ROUNDS}),\n` +
    (SLICED
      ? `  variants loaded in alternating ${SLICE_MS} ms slices (ratios: median over each round's cycles),\n`
      : '  each variant loaded alone in turn,\n') +
    '  every round on new server processes\n' +
    '  key: IP allow-list 127.0.0.0/8 + ::1, scope invoices:read required, token bucket never empty;\n' +
    '  MemoryStore, default cache, no pepper. Each server in its own process; ' +
    (LOADGEN === 'autocannon'
      ? 'autocannon in this one.'
      : `${LOADGEN === 'wrk' ? 'wrk (1 thread)' : 'the busy-polling client (bench/_loadgen.mjs)'} in another` +
        `${PIN ? `; server pinned to CPU ${SERVER_CPU}, load generator to CPU ${LOADGEN_CPU}` : ''}.`),
);

const servers = new Set();
/** Starts a server, checks it answers as its variant should, and tracks it for the cleanup. */
async function freshServer(framework, variant) {
  const server = await startServer(framework, variant);
  servers.add(server);
  await checkServer(server);
  return server;
}
async function retire(server) {
  await stopServer(server);
  servers.delete(server);
}

try {
  for (const framework of FRAMEWORKS) {
    framework.runs = Object.fromEntries(framework.variants.map((v) => [v, []]));
  }
  // Every round starts new server processes: a process can be a few percent faster or slower than
  // an identical one for its whole life (where its heap and code landed), so reusing one process
  // per variant for every round would turn that luck into a fixed bias.
  const roundMs = [];
  let rounds = 0;
  for (let round = 0; round < ROUNDS; round++) {
    if (round >= MIN_ROUNDS && Date.now() - started + median(roundMs) > BUDGET_MS) break;
    const roundStart = Date.now();
    const cells = [];
    for (const framework of FRAMEWORKS) {
      const order = rotate(framework.variants, round);
      const running = {};
      for (const variant of order) running[variant] = await freshServer(framework.name, variant);
      const servers = order.map((variant) => running[variant]);
      let runs;
      if (SLICED) {
        await loadSliced(servers, WARMUP_SECONDS * servers.length);
        runs = await loadSliced(servers, SECONDS * servers.length);
      } else {
        for (const server of servers) await load(server, WARMUP_SECONDS);
        runs = [];
        for (const server of servers) runs.push(await load(server, SECONDS));
      }
      order.forEach((variant, i) => {
        framework.runs[variant].push(runs[i]);
        cells.push(`${framework.name}/${variant} ${formatOps(runs[i].rps)}`);
      });
      await Promise.all(order.map((variant) => retire(running[variant])));
    }
    rounds += 1;
    roundMs.push(Date.now() - roundStart);
    console.log(`  round ${round + 1}: ${cells.join(', ')}`);
  }

  const figures = {};
  const details = {
    config: {
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      connections: CONNECTIONS,
      pipelining: PIPELINING,
      rounds,
      loadGenerator: LOADGEN,
      pinned: PIN ? { server: SERVER_CPU, loadGenerator: LOADGEN_CPU } : false,
      loadAverage: os.loadavg(),
      variants: VARIANTS,
      noop: 'a middleware that only calls next() (Fastify: a callback onRequest hook calling done())',
      floor:
        'node:crypto sha256 hex of the Bearer token looked up in a Map, 401 if unknown (no headers)',
      floorh:
        "#13's floor: floor + the two RateLimit headers every verified response must carry (constant strings, set as the adapter sets them): the least that meets #3",
      peer: PEERS,
      route: 'GET / → {"hello":"world"}',
      key: 'ips 127.0.0.0/8 + ::1/128, scopes [invoices:read] required, token bucket 1e12 / 1e9 per s',
      targets: { keywardToFloor: FLOOR_TARGET, keywardToPeer: PEER_TARGET },
    },
    frameworks: {},
  };
  const rows = [
    [
      'framework',
      'bare rps',
      'keyward rps',
      'floor/bare',
      'peer/bare',
      'keyward/bare',
      `keyward/floor (≥ ${FLOOR_TARGET})`,
      `keyward/peer (≥ ${formatRatio(PEER_TARGET)})`,
      'by server CPU: keyward/floor, keyward/peer',
      'server µs/req bare → floor → peer → keyward',
    ],
  ];
  const cpuOf = (runs) => median(runs.map((r) => r.serverCpuUsPerRequest)).toFixed(1);
  /** "0.93× (0.88–0.97) met". */
  const verdict = (r, target) =>
    `${formatRatio(r.median)} (${formatRatio(r.min)}–${formatRatio(r.max)}) ${r.median >= target ? 'met' : 'MISSED'}`;
  for (const framework of FRAMEWORKS) {
    const { runs, label, name: n } = framework;
    const { bare, floorh, keyward, peer } = runs;
    const keywardToBare = rpsRatio(keyward, bare);
    const floorToBare = rpsRatio(floorh, bare);
    const peerToBare = rpsRatio(peer, bare);
    const keywardToFloor = rpsRatio(keyward, floorh);
    const keywardToPeer = rpsRatio(keyward, peer);
    const cpu = roundRatio(keyward, bare, 'serverCpuUsPerRequest');
    // The same ratios read from server CPU per request (what the rps ratio would be if the server
    // were the only bottleneck): steadier than rps while other processes compete for the cores.
    const cpuFloorToKeyward = roundRatio(floorh, keyward, 'serverCpuUsPerRequest');
    const cpuPeerToKeyward = roundRatio(peer, keyward, 'serverCpuUsPerRequest');
    const bareRps = median(bare.map((r) => r.rps));
    const keywardRps = median(keyward.map((r) => r.rps));
    framework.result = { keywardToFloor, keywardToPeer };
    rows.push([
      label,
      formatOps(bareRps),
      formatOps(keywardRps),
      formatRatio(floorToBare.median),
      formatRatio(peerToBare.median),
      formatRatio(keywardToBare.median),
      verdict(keywardToFloor, FLOOR_TARGET),
      verdict(keywardToPeer, PEER_TARGET),
      `${formatRatio(cpuFloorToKeyward.median)}, ${formatRatio(cpuPeerToKeyward.median)}`,
      `${cpuOf(bare)} → ${cpuOf(floorh)} → ${cpuOf(peer)} → ${cpuOf(keyward)}`,
    ]);
    for (const variant of framework.variants) {
      figures[`${n}.${variant}.rps`] = figure(
        `${label} ${variant}`,
        median(runs[variant].map((r) => r.rps)),
        'req/s',
        'higher',
      );
    }
    figures[`${n}.keywardToBare`] = figure(
      `${label} keyward / bare rps`,
      keywardToBare.median,
      'ratio',
      'higher',
    );
    figures[`${n}.floorToBare`] = figure(
      `${label} floor (sha256 + Map + RateLimit headers) / bare rps`,
      floorToBare.median,
      'ratio',
      'higher',
    );
    figures[`${n}.peerToBare`] = figure(
      `${label} peer (${PEERS[n]}) / bare rps`,
      peerToBare.median,
      'ratio',
      'higher',
    );
    figures[`${n}.keywardToFloor`] = figure(
      `${label} keyward / floor rps (target ≥ ${FLOOR_TARGET})`,
      keywardToFloor.median,
      'ratio',
      'higher',
    );
    figures[`${n}.keywardToPeer`] = figure(
      `${label} keyward / peer rps (target ≥ ${PEER_TARGET})`,
      keywardToPeer.median,
      'ratio',
      'higher',
    );
    figures[`${n}.cpuFloorToKeyward`] = figure(
      `${label} server CPU per request, floor / keyward (keyward / floor if server-bound)`,
      cpuFloorToKeyward.median,
      'ratio',
      'higher',
    );
    figures[`${n}.cpuPeerToKeyward`] = figure(
      `${label} server CPU per request, peer / keyward (keyward / peer if server-bound)`,
      cpuPeerToKeyward.median,
      'ratio',
      'higher',
    );
    figures[`${n}.serverCpuRatio`] = figure(
      `${label} server CPU per request, keyward / bare`,
      cpu.median,
      'ratio',
      'lower',
    );
    const perVariant = {};
    for (const variant of framework.variants) {
      if (variant === 'bare') continue;
      perVariant[variant] = {
        rpsToBare: rpsRatio(runs[variant], bare),
        serverCpuToBare: roundRatio(runs[variant], bare, 'serverCpuUsPerRequest'),
      };
    }
    details.frameworks[n] = {
      peer: PEERS[n],
      keywardToBare,
      floorToBare,
      peerToBare,
      keywardToFloor,
      keywardToPeer,
      floorServerCpuToKeyward: cpuFloorToKeyward,
      peerServerCpuToKeyward: cpuPeerToKeyward,
      perVariant,
      runs,
    };
  }
  subheading(
    `requests per second, medians of ${rounds} rounds (ratios: median of per-round ratios, ` +
      'per-round range in brackets); floor = SHA-256 + Map + the two RateLimit headers',
  );
  printTable(rows);
  for (const framework of FRAMEWORKS)
    console.log(`  peer on ${framework.label}: ${PEERS[framework.name]}`);

  subheading('latency (medians over rounds)');
  const latencyRows = [['server', 'p50 ms', 'p99 ms']];
  for (const framework of FRAMEWORKS) {
    for (const variant of framework.variants) {
      const runs = framework.runs[variant];
      latencyRows.push([
        `${framework.name}/${variant}`,
        median(runs.map((r) => r.p50Ms)).toFixed(1),
        median(runs.map((r) => r.p99Ms)).toFixed(1),
      ]);
    }
  }
  printTable(latencyRows);

  subheading(
    `where the keyward server's CPU goes: one more ${SECONDS} s run per framework under V8's sampling profiler`,
  );
  const profileRows = [
    [
      'framework',
      "keyward's share",
      'core',
      'adapter',
      '→ rps ratio if server-bound',
      'top keyward functions',
    ],
  ];
  for (const framework of FRAMEWORKS) {
    const server = await freshServer(framework.name, 'keyward');
    await load(server, WARMUP_SECONDS);
    await server.profileStart();
    await load(server, SECONDS);
    const attribution = await server.profileStop();
    const pct = (count) => `${((count / attribution.busySamples) * 100).toFixed(1)}%`;
    profileRows.push([
      framework.label,
      pct(attribution.keywardSamples),
      pct(attribution.byPackage.core ?? 0),
      pct(attribution.byPackage[framework.name] ?? 0),
      formatRatio(1 - attribution.share),
      attribution.byFunction
        .slice(0, 4)
        .map(([name, count]) => `${name} ${pct(count)}`)
        .join(', '),
    ]);
    figures[`${framework.name}.keywardCpuShare`] = figure(
      `${framework.label} keyward's share of server CPU (profiled)`,
      attribution.share,
      'ratio',
      'lower',
    );
    details.frameworks[framework.name].profile = attribution;
    await retire(server);
  }
  printTable(profileRows);
  console.log(
    "  share = samples in keyward's code (verify, the adapter, the headers it sets) over the server's\n" +
      '  busy samples; garbage collection is not attributed, so it is a lower bound.',
  );

  if (PROFILE_DIR !== undefined) console.log(`\n  CPU profiles written to ${PROFILE_DIR}`);
  await publish({ figures, details });
} finally {
  await Promise.all([...servers].map(stopServer));
}
