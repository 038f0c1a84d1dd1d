// Where verify's time goes: profiles the cached verify path of the core benchmark (same key, same
// options) with V8's sampling profiler and prints the functions with the most self time.
// Not a section (the leading underscore keeps run.mjs from running it).
//
//   node bench/_profile-verify.mjs [--pepper] [--routes] [--seconds 3] [--top 25] [--lines 40]
//
// --lines N also prints the N source lines of packages/core/dist/index.js with the most samples
// (V8's per-line ticks), each with its function and its text. --routes profiles the core
// section's routed key (four route patterns) over its 64 distinct paths.

import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import {
  blackhole,
  loadPackage,
  BENCH_PATHS as PATHS,
  printTable,
  ROOT_DIR,
  BENCH_ROUTES as ROUTES,
} from './lib.mjs';

const args = process.argv.slice(2);
const pepper = args.includes('--pepper');
const routed = args.includes('--routes');
const option = (name, fallback) => {
  const at = args.indexOf(name);
  const value = at >= 0 ? Number(args[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} needs a positive number`);
  return value;
};
const seconds = Math.min(option('--seconds', 3), 60);
const top = Math.min(option('--top', 25), 200);
const lines = args.includes('--lines') ? Math.min(option('--lines', 40), 500) : 0;

const { createKeyward, MemoryStore } = await loadPackage('core');
const keyward = createKeyward({
  prefix: 'acme',
  store: new MemoryStore(),
  ...(pepper ? { pepper: 'bench-pepper-0123456789abcdef' } : {}),
});
const { key } = await keyward.create({
  name: 'bench',
  scopes: ['invoices:read'],
  ips: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'],
  rateLimit: { capacity: 1e12, refillPerSecond: 1e9 },
  ...(routed ? { routes: ROUTES } : {}),
});
const base = { headers: { authorization: `Bearer ${key}` }, ip: '10.20.30.40' };
const requests = routed ? PATHS.map((url) => ({ ...base, method: 'GET', url })) : [base];
const mask = requests.length - 1;
const options = Object.freeze({ scopes: Object.freeze(['invoices:read']) });
for (const request of requests) {
  const first = keyward.verify(request, options);
  if (typeof first?.then === 'function' || !first.ok) throw new Error('verify did not succeed');
}

function spin(ms, maxCalls) {
  const end = Date.now() + ms;
  let calls = 0;
  while (Date.now() < end && calls < maxCalls) {
    for (let i = 0; i < 1000; i++) blackhole(keyward.verify(requests[i & mask], options));
    calls += 1000;
  }
  return calls;
}

spin(1000, 5_000_000); // warm-up: let the JIT settle before sampling
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 50 });
await session.post('Profiler.start');
const calls = spin(seconds * 1000, 50_000_000);
const { profile } = await session.post('Profiler.stop');
session.disconnect();

// Self time per function: count the samples whose top frame is that function.
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfSamples = new Map();
for (const id of profile.samples) {
  const frame = byId.get(id).callFrame;
  const file = frame.url ? path.relative(ROOT_DIR, frame.url.replace(/^file:\/\//, '')) : '';
  const name = `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
  selfSamples.set(name, (selfSamples.get(name) ?? 0) + 1);
}
const total = profile.samples.length;
const rows = [...selfSamples.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(
  `verify${pepper ? ' with pepper' : ''}: ${calls.toLocaleString('en-US')} calls in ${seconds} s ` +
    `(${((seconds * 1e9) / calls).toFixed(0)} ns/call wall), ${total} samples`,
);
printTable([
  ['function (self time)', 'self %'],
  ...rows.map(([name, count]) => [name, `${((count / total) * 100).toFixed(1)}%`]),
]);

if (lines > 0) {
  const dist = path.join(ROOT_DIR, 'packages/core/dist/index.js');
  const source = readFileSync(dist, 'utf8').split('\n');
  const byLine = new Map();
  for (const node of profile.nodes) {
    const frame = node.callFrame;
    if (node.positionTicks === undefined || !frame.url.endsWith('packages/core/dist/index.js')) {
      continue;
    }
    for (const { line, ticks } of node.positionTicks) {
      const key = `${frame.functionName || '(anonymous)'}:${line}`;
      byLine.set(key, (byLine.get(key) ?? 0) + ticks);
    }
  }
  const hottest = [...byLine.entries()].sort((a, b) => b[1] - a[1]).slice(0, lines);
  printTable([
    ['function:line (dist/index.js)', 'self %', 'source'],
    ...hottest.map(([key, ticks]) => [
      key,
      `${((ticks / total) * 100).toFixed(1)}%`,
      (source[Number(key.split(':').pop()) - 1] ?? '').trim().slice(0, 90),
    ]),
  ]);
}
