// Probe: only the routes pair of core.mjs (verify with 4 route patterns / without), N runs.
import { loadPackage } from './lib.mjs';

const { createKeyward, MemoryStore } = process.env.CORE_DIST
  ? await import(process.env.CORE_DIST)
  : await loadPackage('core');

import { blackhole, compare, ratio } from './lib.mjs';

const SCOPES = ['invoices:read'];
const ROOMY_LIMIT = { capacity: 1e12, refillPerSecond: 1e9 };
const KEY_OPTIONS = {
  name: 'bench',
  scopes: SCOPES,
  ips: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'],
  rateLimit: ROOMY_LIMIT,
};
const VERIFY_OPTIONS = Object.freeze({ scopes: Object.freeze([...SCOPES]) });
const ROUTES = ['GET /invoices', 'GET /invoices/*', 'POST /reports/**', 'GET /customers/*/orders'];
const PATHS = Array.from({ length: 64 }, (_, i) => `/invoices/inv_${i}?expand=lines`);
const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore() });
const plainKey = (await keyward.create(KEY_OPTIONS)).key;
const routedKey = (await keyward.create({ ...KEY_OPTIONS, routes: ROUTES })).key;
const requests = (key) =>
  PATHS.map((url) => ({
    headers: { authorization: `Bearer ${key}` },
    ip: '10.20.30.40',
    method: 'GET',
    url,
  }));
const plain = requests(plainKey);
const routed = requests(routedKey);
for (const r of [...plain, ...routed])
  if (!keyward.verify(r, VERIFY_OPTIONS).ok) throw new Error('refused');
const verifyCase = (name, list) => ({
  name,
  run(n) {
    for (let i = 0; i < n; i++) blackhole(keyward.verify(list[i & 63], VERIFY_OPTIONS));
  },
});
const out = [];
for (let k = 0; k < Number(process.argv[2] ?? 3); k++) {
  const [base, withRoutes] = await compare(
    [verifyCase('plain', plain), verifyCase('routed', routed)],
    { rounds: 60, batchMs: 5 },
  );
  const r = ratio(withRoutes, base);
  out.push(r.cpu.median);
  console.log(
    `plain ${base.cpu.nsPerOp.toFixed(0)} ns, routed ${withRoutes.cpu.nsPerOp.toFixed(0)} ns, ratio ${r.cpu.median.toFixed(3)}`,
  );
}
out.sort((a, b) => a - b);
console.log('median ratio', out[Math.floor(out.length / 2)].toFixed(3));
