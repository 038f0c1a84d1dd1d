// Cached verify of two builds of @keyward/core in one process, interleaved: the built one
// (packages/core/dist) against another (say, a copy of dist/ made before a change, kept inside
// packages/core/node_modules so its dependencies resolve). Both verify the core section's key and
// request (IP allow-list of three ranges, one scope, a token bucket that never empties, MemoryStore,
// default cache, usage on), in 60 alternating rounds; the ratio is the median of the per-round
// CPU-time ratios, so a busy machine slows both sides alike. Not a section (the leading underscore
// keeps run.mjs from running it).
//
//   node --expose-gc bench/_compare-verify.mjs <path/to/other/core/dist/index.js> [--rounds 60] [--routes]
//
// --routes gives the key the core section's four route patterns and verifies it over its 64
// distinct paths (#14's routed case), to compare what a route check costs in each build.

import path from 'node:path';
import {
  blackhole,
  compare,
  loadPackage,
  BENCH_PATHS as PATHS,
  BENCH_ROUTES as ROUTES,
  ratio,
} from './lib.mjs';

const args = process.argv.slice(2);
const other = args[0];
if (other === undefined || other.startsWith('--')) {
  console.error(
    'usage: node --expose-gc bench/_compare-verify.mjs <other core dist/index.js> [--rounds 60]',
  );
  process.exit(2);
}
const roundsAt = args.indexOf('--rounds');
const rounds = Math.min(Math.max(Number(roundsAt >= 0 ? args[roundsAt + 1] : 60), 5), 400);
const routed = args.includes('--routes');

/** A keyward of `core`, its key's request and the options, checked to verify synchronously. */
async function setUp(core) {
  const { createKeyward, MemoryStore } = core;
  const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore() });
  const { key } = await keyward.create({
    name: 'bench',
    scopes: ['invoices:read'],
    ips: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'],
    rateLimit: { capacity: 1e12, refillPerSecond: 1e9 },
    ...(routed ? { routes: ROUTES } : {}),
  });
  const base = { headers: { authorization: `Bearer ${key}` }, ip: '10.20.30.40' };
  const requests = routed ? PATHS.map((url) => ({ ...base, method: 'GET', url })) : [base];
  const options = Object.freeze({ scopes: Object.freeze(['invoices:read']) });
  for (const request of requests) {
    const first = keyward.verify(request, options);
    if (typeof first?.then === 'function' || !first.ok) throw new Error('verify did not succeed');
  }
  return { keyward, requests, options };
}

const built = await setUp(await loadPackage('core'));
const theirs = await setUp(await import(path.resolve(other)));
const caseOf = (name, { keyward, requests, options }) => ({
  name,
  run(n) {
    const mask = requests.length - 1;
    for (let i = 0; i < n; i++) blackhole(keyward.verify(requests[i & mask], options));
  },
});
const [otherRun, builtRun] = await compare([caseOf('other', theirs), caseOf('built', built)], {
  rounds,
  batchMs: 5,
});
const r = ratio(builtRun, otherRun);
console.log(
  `cached verify${routed ? ' (4 route patterns, 64 paths)' : ''}, ${rounds} alternating rounds: other build ${otherRun.cpu.nsPerOp.toFixed(0)} ns, ` +
    `built ${builtRun.cpu.nsPerOp.toFixed(0)} ns (CPU); built / other = ${r.cpu.median.toFixed(3)} ` +
    `(rounds ${r.cpu.min.toFixed(2)}–${r.cpu.max.toFixed(2)}; wall-clock ${r.wall.median.toFixed(3)})`,
);
await built.keyward.close();
await theirs.keyward.close();
