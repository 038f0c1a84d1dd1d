// Edge section: what keyward costs off Node. Run: node bench/run.mjs edge
//
// 1. Bundle: a Cloudflare Worker guarding its fetch handler with @keyward/fetch, bundled from the
//    built packages by esbuild (minified, ES module, as wrangler does), then gzipped (level 9):
//    the size a Worker upload counts. Target ≤ 60 KB. The bundle is then started in workerd and
//    must answer a request without a key with 401 missing_key, so the figure is of a Worker that
//    runs.
// 2. Bun: requests per second of Bun.serve bare against Bun.serve behind withApiKey (the cached
//    success path: IP allow-list, one scope, a token bucket that never empties) and against the
//    floor on Bun (a node:crypto SHA-256 of the token, a Map lookup and the two RateLimit headers:
//    the least that meets #3, as in the http section), measured as the
//    http section measures the Node adapters: each server in its own process (bench/_bun-server.mjs
//    run by Bun), the busy-polling load generator (bench/_loadgen.mjs) in another, keep-alive
//    connections on loopback, interleaved rounds on new processes, the median of per-round ratios.
//    Target keyward / bare ≥ 0.90.
//
// Environment: BENCH_EDGE_SECONDS (default 3), BENCH_EDGE_ROUNDS (default 9, at least 3),
// BENCH_HTTP_PIN=0 to not pin processes to cores.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import os, { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import {
  BENCH_DIR,
  boundedInt,
  figure,
  formatBytes,
  formatOps,
  formatRatio,
  heading,
  median,
  onPath,
  printTable,
  publish,
  ROOT_DIR,
  roundRatio,
  subheading,
} from './lib.mjs';

const SECONDS = boundedInt(process.env.BENCH_EDGE_SECONDS, 3, 1, 30);
const ROUNDS = boundedInt(process.env.BENCH_EDGE_ROUNDS, 9, 3, 25);
const WARMUP_SECONDS = 2;
const CONNECTIONS = 10;
const BUNDLE_TARGET_BYTES = 60 * 1024;
const BUN_TARGET = 0.9;
// The runtimes' executables (node_modules/.bin holds launchers that would outlive a kill).
const require = createRequire(path.join(ROOT_DIR, 'package.json'));
const BUN = path.join(path.dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe');
const WORKERD = require('workerd').default;
const PIN = process.env.BENCH_HTTP_PIN !== '0' && availableParallelism() >= 2 && onPath('taskset');
const SERVER_CPU = '1';
const LOADGEN_CPU = '0';
const execFileAsync = promisify(execFile);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// 1. The Worker bundle

const WORKER = `
import { createKeyward, MemoryStore } from '@keyward/core';
import { getApiKey, withApiKey } from '@keyward/fetch';

const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore() });
export default {
  fetch: withApiKey((request) => Response.json({ keyId: getApiKey(request)?.id }), keyward, {
    scopes: ['invoices:read'],
    ip: (request) => request.headers.get('cf-connecting-ip') ?? undefined,
  }),
};
`;

/** Which package each input of the bundle belongs to. */
function packageOf(file) {
  const modules = file.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const rest = file.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const own = /packages\/([^/]+)\//.exec(file);
  return own === null ? 'worker entry' : `@keyward/${own[1]}`;
}

async function bundleWorker(dir) {
  const outfile = path.join(dir, 'worker.js');
  const result = await build({
    stdin: { contents: WORKER, resolveDir: ROOT_DIR, loader: 'js', sourcefile: 'worker.js' },
    outfile,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'import'],
    alias: {
      '@keyward/core': path.join(ROOT_DIR, 'packages/core/dist/index.js'),
      '@keyward/fetch': path.join(ROOT_DIR, 'packages/fetch/dist/index.js'),
    },
    metafile: true,
    logLevel: 'silent',
  });
  const code = readFileSync(outfile);
  const byPackage = {};
  for (const [file, { bytesInOutput }] of Object.entries(
    Object.values(result.metafile.outputs)[0].inputs,
  )) {
    const name = packageOf(file);
    byPackage[name] = (byPackage[name] ?? 0) + bytesInOutput;
  }
  return {
    file: outfile,
    minifiedBytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    byPackage,
  };
}

/** Starts the bundle in workerd and asks it one question; resolves with what it answered. */
async function runInWorkerd(dir, file) {
  const port = await freePort();
  const config = path.join(dir, 'worker.capnp');
  writeFileSync(
    config,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .w)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", service = "main")],
);
const w :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "${path.basename(file)}")],
  compatibilityDate = "2025-09-01",
);
`,
  );
  const child = spawn(WORKERD, ['serve', config], { stdio: 'ignore' });
  try {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/`);
        return { status: response.status, code: (await response.json()).code };
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error('workerd did not answer within 20 s');
  } finally {
    child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Bun.serve, bare and behind withApiKey

/** Starts one Bun server; resolves with { child, port, key } once it printed its port. */
function startBunServer(variant) {
  const command = BUN;
  const args = [path.join(BENCH_DIR, '_bun-server.mjs'), variant];
  const child = PIN
    ? spawn('taskset', ['-c', SERVER_CPU, command, ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
    : spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bun ${variant} did not start`)), 30_000);
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const line = output.split('\n').find((text) => text.startsWith('{'));
      if (line === undefined) return;
      clearTimeout(timer);
      resolve({ variant, child, ...JSON.parse(line) });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bun ${variant} exited (${code})`));
    });
  });
}

function stopServer(server) {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 5_000);
    server.child.removeAllListeners('exit');
    server.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    server.child.kill('SIGTERM');
  });
}

/** The server process's CPU time so far, in µs (user + system, from /proc; Linux only). */
function serverCpuUs(server) {
  try {
    const stat = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1e6) / 100;
  } catch {
    return Number.NaN;
  }
}

/** One request with and one without the key, so a misconfigured server fails here. */
async function checkServer(server) {
  const url = `http://127.0.0.1:${server.port}/`;
  const ok = await fetch(url, { headers: { authorization: `Bearer ${server.key}` } });
  const body = await ok.text();
  if (ok.status !== 200 || body !== '{"hello":"world"}') {
    throw new Error(`bun/${server.variant}: expected 200 hello, got ${ok.status} ${body}`);
  }
  const anonymous = await fetch(url);
  await anonymous.text();
  const expected = server.variant === 'bare' ? 200 : 401;
  if (anonymous.status !== expected) {
    throw new Error(`bun/${server.variant}: no key got ${anonymous.status}, expected ${expected}`);
  }
  if (server.variant !== 'bare' && ok.headers.get('ratelimit') === null) {
    throw new Error(`bun/${server.variant}: no RateLimit header on a verified response`);
  }
}

async function load(server, seconds) {
  const cpuBefore = serverCpuUs(server);
  const args = [
    path.join(BENCH_DIR, '_loadgen.mjs'),
    String(server.port),
    String(seconds),
    String(CONNECTIONS),
    `Bearer ${server.key}`,
  ];
  const { stdout } = PIN
    ? await execFileAsync('taskset', ['-c', LOADGEN_CPU, process.execPath, ...args])
    : await execFileAsync(process.execPath, args);
  const result = JSON.parse(stdout);
  const cpuAfter = serverCpuUs(server);
  if (result.errors > 0 || result.non2xx > 0 || result.ok === 0) {
    throw new Error(`bun/${server.variant}: ${result.errors} errors, ${result.non2xx} non-2xx`);
  }
  return {
    rps: result.ok / result.seconds,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    serverCpuUsPerRequest: (cpuAfter - cpuBefore) / result.ok,
  };
}

// ---------------------------------------------------------------------------------------------

const figures = {};
const details = {};
const dir = mkdtempSync(path.join(tmpdir(), 'keyward-bench-edge-'));
try {
  heading('Edge: the Worker bundle of @keyward/core + @keyward/fetch (esbuild, minified, gzip -9)');
  const bundle = await bundleWorker(dir);
  const answer = await runInWorkerd(dir, bundle.file);
  if (answer.status !== 401 || answer.code !== 'missing_key') {
    throw new Error(`the bundle in workerd answered ${answer.status} ${answer.code}`);
  }
  const met = bundle.gzipBytes <= BUNDLE_TARGET_BYTES;
  printTable([
    ['bundle', 'minified', 'gzipped', 'target', 'in workerd'],
    [
      'Worker: createKeyward + MemoryStore + withApiKey',
      formatBytes(bundle.minifiedBytes),
      formatBytes(bundle.gzipBytes),
      `≤ ${formatBytes(BUNDLE_TARGET_BYTES)} ${met ? 'met' : 'MISSED'}`,
      `${answer.status} ${answer.code}`,
    ],
  ]);
  subheading('minified bytes by package');
  printTable([
    ['package', 'bytes'],
    ...Object.entries(bundle.byPackage)
      .sort((a, b) => b[1] - a[1])
      .map(([name, bytes]) => [name, formatBytes(bytes)]),
  ]);
  figures['worker.gzipBytes'] = figure(
    'Worker bundle (core + fetch), minified + gzipped (target ≤ 60 KB)',
    bundle.gzipBytes,
    'bytes',
    'lower',
  );
  figures['worker.minifiedBytes'] = figure(
    'Worker bundle (core + fetch), minified',
    bundle.minifiedBytes,
    'bytes',
    'lower',
  );
  details.bundle = {
    ...bundle,
    file: undefined,
    workerdAnswer: answer,
    targetBytes: BUNDLE_TARGET_BYTES,
  };

  heading(
    'Edge: Bun.serve bare, floor (SHA-256 + Map + RateLimit headers) and behind withApiKey (busy-polling load generator, loopback)',
  );
  const version = execFileSync(BUN, ['--version']).toString().trim();
  console.log(
    `  bun ${version}; ${CONNECTIONS} keep-alive connections, ${SECONDS} s per run after a ` +
      `${WARMUP_SECONDS} s warm-up per server; ${ROUNDS} interleaved rounds on new processes` +
      `${PIN ? `; server pinned to CPU ${SERVER_CPU}, load generator to CPU ${LOADGEN_CPU}` : ''}`,
  );
  const VARIANTS = ['bare', 'floor', 'keyward'];
  const runs = { bare: [], floor: [], keyward: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...VARIANTS.slice(round % 3), ...VARIANTS.slice(0, round % 3)];
    const servers = {};
    for (const variant of order) {
      servers[variant] = await startBunServer(variant);
      await checkServer(servers[variant]);
    }
    try {
      for (const variant of order) await load(servers[variant], WARMUP_SECONDS);
      const cells = [];
      for (const variant of order) {
        const run = await load(servers[variant], SECONDS);
        runs[variant].push(run);
        cells.push(`${variant} ${formatOps(run.rps)}`);
      }
      console.log(`  round ${round + 1}: ${cells.join(', ')}`);
    } finally {
      await Promise.all(order.map((variant) => stopServer(servers[variant])));
    }
  }
  const rps = roundRatio(runs.keyward, runs.bare, 'rps');
  const floorRps = roundRatio(runs.floor, runs.bare, 'rps');
  const keywardToFloor = roundRatio(runs.keyward, runs.floor, 'rps');
  const cpu = roundRatio(runs.keyward, runs.bare, 'serverCpuUsPerRequest');
  const bareRps = median(runs.bare.map((r) => r.rps));
  const keywardRps = median(runs.keyward.map((r) => r.rps));
  const cpuOf = (variant) => median(runs[variant].map((r) => r.serverCpuUsPerRequest)).toFixed(1);
  printTable([
    [
      'runtime',
      'bare rps',
      'keyward rps',
      'floor/bare',
      'keyward/bare',
      'range',
      'target',
      'keyward/floor',
      'server µs/req bare → floor → keyward',
    ],
    [
      `Bun ${version}`,
      formatOps(bareRps),
      formatOps(keywardRps),
      `${formatRatio(floorRps.median)} (${formatRatio(floorRps.min)} – ${formatRatio(floorRps.max)})`,
      formatRatio(rps.median),
      `${formatRatio(rps.min)} – ${formatRatio(rps.max)}`,
      `≥ ${formatRatio(BUN_TARGET)} ${rps.median >= BUN_TARGET ? 'met' : 'MISSED'}`,
      formatRatio(keywardToFloor.median),
      `${cpuOf('bare')} → ${cpuOf('floor')} → ${cpuOf('keyward')} (${formatRatio(cpu.median)})`,
    ],
  ]);
  console.log(
    '  floor: node:crypto SHA-256 of the Bearer token, a Map lookup, the two RateLimit headers set\n' +
      "  on the handler's Response: if floor/bare is below the target, no implementation meets it here.",
  );
  figures['bun.bare.rps'] = figure(`Bun ${version} bare`, bareRps, 'req/s', 'higher');
  figures['bun.keyward.rps'] = figure(`Bun ${version} + withApiKey`, keywardRps, 'req/s', 'higher');
  figures['bun.keywardToBare'] = figure(
    `Bun keyward / bare rps (target ≥ ${BUN_TARGET})`,
    rps.median,
    'ratio',
    'higher',
  );
  figures['bun.floor.rps'] = figure(
    `Bun ${version} floor`,
    median(runs.floor.map((r) => r.rps)),
    'req/s',
    'higher',
  );
  figures['bun.floorToBare'] = figure(
    'Bun floor (SHA-256 + Map + RateLimit headers) / bare rps',
    floorRps.median,
    'ratio',
    'higher',
  );
  figures['bun.keywardToFloor'] = figure(
    'Bun keyward / floor rps',
    keywardToFloor.median,
    'ratio',
    'higher',
  );
  figures['bun.serverCpuRatio'] = figure(
    'Bun server CPU per request, keyward / bare',
    cpu.median,
    'ratio',
    'lower',
  );
  details.bun = {
    version,
    config: {
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      connections: CONNECTIONS,
      rounds: ROUNDS,
      pinned: PIN,
    },
    rpsRatio: rps,
    floorToBare: floorRps,
    keywardToFloor,
    floorServerCpuRatio: roundRatio(runs.floor, runs.bare, 'serverCpuUsPerRequest'),
    serverCpuRatio: cpu,
    loadAverage: os.loadavg(),
    runs,
  };
} finally {
  rmSync(dir, { recursive: true, force: true });
}

await publish({ figures, details });
