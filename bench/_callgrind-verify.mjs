// Instruction counts of cached verify against one node:crypto SHA-256 of a 43-character secret,
// under valgrind's callgrind: the counts do not depend on other processes' load as timings do,
// but they move by up to ±10 % between runs of the same build (V8 sizes its heap and schedules
// collections from measured throughput), so compare medians of several runs, or use
// _compare-verify.mjs (two builds interleaved in one process) for small differences. Not a section
// (the leading underscore keeps run.mjs from running it).
//
//   node bench/_callgrind-verify.mjs [--calls 100000] [--usage on|off] [--cases sha256,verify]
//                                    [--core path/to/core/dist/index.js]
//
// For every case it runs node under `valgrind --tool=callgrind` twice, once doing `calls`
// operations and once doing none (same start-up, same warm-up of 10,000 operations), and prints
// the difference over `calls`: instructions per operation. The key, request and options are the
// core section's (bench/core.mjs): IP allow-list of three ranges, one scope, a token bucket that
// never empties, MemoryStore, default cache, no pepper, usage on (the default) unless --usage off.
// --core measures another build of @keyward/core (say, a copy of dist/ made before a change).
// Instructions are not time (a cache miss costs more than an add), so this complements the core
// section's CPU-time ratio, it does not replace it.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { blackhole, loadPackage, onPath, printTable } from './lib.mjs';

const WARMUP = 10_000;
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};

if (option('--child', undefined) !== undefined) {
  await child(
    option('--child'),
    Number(option('--calls')),
    option('--usage', 'on'),
    option('--core', undefined),
  );
} else {
  parent();
}

async function child(kind, calls, usage, core) {
  const { createHash } = await import('node:crypto');
  const { createKeyward, MemoryStore } =
    core === undefined ? await loadPackage('core') : await import(path.resolve(core));
  const keyward = createKeyward({
    prefix: 'acme',
    store: new MemoryStore(),
    ...(usage === 'off' ? { usage: false } : {}),
  });
  const { key } = await keyward.create({
    name: 'bench',
    scopes: ['invoices:read'],
    ips: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'],
    rateLimit: { capacity: 1e12, refillPerSecond: 1e9 },
  });
  const request = { headers: { authorization: `Bearer ${key}` }, ip: '10.20.30.40' };
  const options = Object.freeze({ scopes: Object.freeze(['invoices:read']) });
  const secret = key.slice(-49, -6);
  const cases = {
    sha256: () => createHash('sha256').update(secret).digest(),
    verify: () => keyward.verify(request, options),
  };
  const run = cases[kind];
  if (run === undefined) throw new TypeError(`unknown case ${kind}`);
  const first = keyward.verify(request, options);
  if (typeof first?.then === 'function' || !first.ok) throw new Error('verify did not succeed');
  for (let i = 0; i < WARMUP; i++) blackhole(run());
  for (let i = 0; i < calls; i++) blackhole(run());
  const last = keyward.verify(request, options);
  if (typeof last?.then === 'function' || !last.ok) throw new Error('verify did not succeed');
  await keyward.close();
}

function instructions(kind, calls, usage, core, dir) {
  const out = path.join(dir, `${kind}-${calls}.out`);
  execFileSync(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${out}`,
      process.execPath,
      '--single-threaded',
      fileURLToPath(import.meta.url),
      '--child',
      kind,
      '--calls',
      String(calls),
      '--usage',
      usage,
      ...(core === undefined ? [] : ['--core', core]),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const summary = /^(?:summary|totals): (\d+)/m.exec(readFileSync(out, 'utf8'));
  if (summary === null) throw new Error(`no totals in ${out}`);
  return Number(summary[1]);
}

function parent() {
  if (!onPath('valgrind')) throw new Error('valgrind is not installed (apt-get install valgrind)');
  const calls = Math.min(Math.max(Number(option('--calls', '100000')), 1000), 2_000_000);
  const usage = option('--usage', 'on');
  const kinds = option('--cases', 'sha256,verify').split(',');
  const core = option('--core', undefined);
  const dir = mkdtempSync(path.join(tmpdir(), 'keyward-callgrind-'));
  try {
    const perOp = {};
    for (const kind of kinds) {
      const base = instructions(kind, 0, usage, core, dir);
      const full = instructions(kind, calls, usage, core, dir);
      perOp[kind] = (full - base) / calls;
    }
    const rows = [['case', 'instructions / op', '× sha256']];
    for (const kind of kinds) {
      rows.push([
        kind,
        perOp[kind].toFixed(0),
        perOp.sha256 === undefined ? '' : `${(perOp[kind] / perOp.sha256).toFixed(2)}×`,
      ]);
    }
    console.log(
      `callgrind, ${calls} operations per case, usage ${usage}${core === undefined ? '' : `, core ${core}`}`,
    );
    printTable(rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
