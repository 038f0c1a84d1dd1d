// Where the extra CPU of a keyward-guarded server goes, per request: runs the bare and the keyward
// server of one framework under `node --cpu-prof` (200 µs sampling), loads them alternately with
// autocannon, and prints, per function, the CPU µs per request each spent and the difference.
// Not a section (the leading underscore keeps run.mjs from running it).
//
//   node bench/_http-cost-diff.mjs <express|koa|fastify> [--rounds 4] [--seconds 4] [--base bare]
//
// --base names the variant keyward is compared with (bare, floorh, peer…; see _http-server.mjs).

import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { BENCH_DIR, printTable } from './lib.mjs';

const args = process.argv.slice(2);
const framework = args[0];
if (!['express', 'koa', 'fastify'].includes(framework)) {
  console.error(
    'usage: node bench/_http-cost-diff.mjs <express|koa|fastify> [--rounds 4] [--seconds 4]',
  );
  process.exit(2);
}
const option = (name, fallback, max) => {
  const at = args.indexOf(name);
  const value = at >= 0 ? Number(args[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${name} must be an integer in 1–${max}`);
  }
  return value;
};
const rounds = option('--rounds', 4, 20);
const baseAt = args.indexOf('--base');
const base = baseAt >= 0 ? args[baseAt + 1] : 'bare';
if (!['bare', 'noop', 'floor', 'floorh', 'peer'].includes(base)) {
  throw new RangeError('--base must be bare, noop, floor, floorh or peer');
}
const seconds = option('--seconds', 4, 30);
const INTERVAL_US = 200;
const dir = mkdtempSync(path.join(os.tmpdir(), 'keyward-http-diff-'));

async function start(variant) {
  const child = fork(path.join(BENCH_DIR, '_http-server.mjs'), [framework, variant], {
    execArgv: [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      `--cpu-prof-name=${variant}.cpuprofile`,
      `--cpu-prof-interval=${INTERVAL_US}`,
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise((resolve, reject) => {
    child.on('message', (message) => message?.type === 'ready' && resolve(message));
    child.once('exit', (code) => reject(new Error(`${variant} server exited (${code})`)));
  });
  return { child, variant, port: ready.port, key: ready.key, requests: 0 };
}

/** CPU µs per request by function (self time), and in total, from a server's profile. */
function perRequest(server) {
  const profile = JSON.parse(readFileSync(path.join(dir, `${server.variant}.cpuprofile`), 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const samples = new Map();
  let busy = 0;
  for (const id of profile.samples) {
    const frame = byId.get(id).callFrame;
    if (frame.functionName === '(idle)') continue;
    busy += 1;
    const where = frame.url
      ? ` ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`
      : '';
    const name = `${frame.functionName || '(anonymous)'}${where}`;
    samples.set(name, (samples.get(name) ?? 0) + 1);
  }
  const us = (count) => (count * INTERVAL_US) / server.requests;
  return {
    total: us(busy),
    byFunction: new Map([...samples].map(([name, count]) => [name, us(count)])),
  };
}

const servers = [await start(base), await start('keyward')];
try {
  for (let round = 0; round < rounds; round++) {
    for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
      const result = await autocannon({
        url: `http://127.0.0.1:${server.port}/`,
        connections: 10,
        duration: seconds,
        headers: { authorization: `Bearer ${server.key}` },
      });
      if (result.non2xx > 0 || result.errors > 0)
        throw new Error(`${server.variant}: failed requests`);
      server.requests += result['2xx'];
    }
  }
} finally {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise((resolve) => {
          server.child.removeAllListeners('exit');
          server.child.once('exit', resolve);
          server.child.disconnect();
        }),
    ),
  );
}
const [bare, keyward] = servers.map(perRequest);
console.log(
  `${framework}: server CPU per request (profiled, includes start-up) ${bare.total.toFixed(1)} µs ${base} → ` +
    `${keyward.total.toFixed(1)} µs keyward (+${(keyward.total - bare.total).toFixed(1)} µs, ` +
    `${servers[0].requests} and ${servers[1].requests} requests)`,
);
const names = new Set([...bare.byFunction.keys(), ...keyward.byFunction.keys()]);
const rows = [...names]
  .map((name) => {
    const a = bare.byFunction.get(name) ?? 0;
    const b = keyward.byFunction.get(name) ?? 0;
    return [name, a, b, b - a];
  })
  .sort((x, y) => y[3] - x[3])
  .slice(0, Number(process.env.COST_DIFF_TOP ?? 30));
printTable([
  ['function (self time)', `${base} µs/req`, 'keyward µs/req', 'difference'],
  ...rows.map(([name, a, b, d]) => [name, a.toFixed(2), b.toFixed(2), d.toFixed(2)]),
]);
rmSync(dir, { recursive: true, force: true });
