// Alerts section: what the alert detectors add to a cached verify. The same key (the core
// section's: IP allow-list, scope, token bucket never empty) on two keyward instances over
// MemoryStore, one without alerts and one with every detector on, both with usage off (so the
// detectors are measured alone), verified in strictly alternating batches. Target (issue #16):
// with alerts ≤ 1.03× without. Secondary: the key with a quota too (quota_threshold runs), and
// client IPs that keep changing (new_network looks each up). Then both observers together: usage
// on and every detector on vs both off, with usage alone and detectors alone in the same rounds
// (targets: usage ≤ 1.05×, detectors ≤ 1.03×).
// Run: node bench/run.mjs alerts

import {
  blackhole,
  compare,
  figure,
  formatNs,
  formatRatio,
  heading,
  loadPackage,
  printTable,
  publish,
  ratio,
  subheading,
} from './lib.mjs';

const { createKeyward, MemoryStore } = await loadPackage('core');

const KEY_OPTIONS = {
  name: 'bench',
  scopes: ['invoices:read'],
  ips: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'],
  rateLimit: { capacity: 1e12, refillPerSecond: 1e9 },
};
const WITH_QUOTA = { ...KEY_OPTIONS, quota: { limit: Number.MAX_SAFE_INTEGER, period: 'day' } };
const VERIFY_OPTIONS = Object.freeze({ scopes: Object.freeze(['invoices:read']) });
/** One client address (the common case), and four in two networks taking turns (a worse one). */
const ONE_IP = ['10.20.30.40'];
const FOUR_IPS = ['10.20.30.40', '10.20.30.41', '10.99.0.7', '10.99.0.8'];

const ROUTE = { method: 'GET', route: '/invoices/:id' };

/** A keyward over MemoryStore with `options` (alerts, usage), and its verify loop. */
async function instance(options, keyOptions, ips) {
  const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore(), ...options });
  const { key } = await keyward.create(keyOptions);
  const requests = ips.map((ip) => ({ headers: { authorization: `Bearer ${key}` }, ip, ...ROUTE }));
  const check = keyward.verify(requests[0], VERIFY_OPTIONS);
  if (typeof check?.then === 'function' || !check.ok) throw new Error('verify did not succeed');
  let next = 0;
  return {
    keyward,
    run(n) {
      for (let i = 0; i < n; i++) {
        next = next + 1 === requests.length ? 0 : next + 1;
        blackhole(keyward.verify(requests[next], VERIFY_OPTIONS));
      }
    },
  };
}

async function pair(label, keyOptions, ips, rounds) {
  const plain = await instance({ usage: false }, keyOptions, ips);
  const alerted = await instance({ usage: false, alerts: { onAlert: () => {} } }, keyOptions, ips);
  const [without, withAlerts] = await compare(
    [
      { name: 'without', run: (n) => plain.run(n) },
      { name: 'with', run: (n) => alerted.run(n) },
    ],
    { rounds, batchMs: 5 },
  );
  await alerted.keyward.close();
  await plain.keyward.close();
  const r = ratio(withAlerts, without);
  subheading(label);
  printTable([
    ['case', 'cpu ns/op', 'wall ns/op', '× without (cpu)', 'per-round range'],
    ['verify, no alerts', formatNs(without.cpu.nsPerOp), formatNs(without.wall.nsPerOp), '1', ''],
    [
      'verify, every detector on',
      formatNs(withAlerts.cpu.nsPerOp),
      formatNs(withAlerts.wall.nsPerOp),
      formatRatio(r.cpu.median),
      `${formatRatio(r.cpu.min)}–${formatRatio(r.cpu.max)}`,
    ],
  ]);
  return { without, withAlerts, r };
}

const figures = {};
const details = {};
/** A ratio figure, lower is better. */
const ratioFigure = (name, label, value) => {
  figures[name] = figure(label, value, 'ratio', 'lower');
};
heading('Cached verify with every alert detector on vs without');
console.log(
  '  MemoryStore, default cache, no onEvent, usage off; the key has 3 IP ranges, a scope and a\n' +
    '  token bucket (never empty); spike and new_network run on every verify, quota_threshold with\n' +
    '  a quota',
);
const one = await pair('headline: one client IP, 80 alternating rounds', KEY_OPTIONS, ONE_IP, 80);
const quota = await pair('the key with a daily quota too, 40 rounds', WITH_QUOTA, ONE_IP, 40);
const four = await pair(
  'four client IPs in two /24s taking turns, 40 rounds',
  KEY_OPTIONS,
  FOUR_IPS,
  40,
);
const met = one.r.cpu.median <= 1.03;
console.log(
  `\n  with alerts / without = ${formatRatio(one.r.cpu.median)} by CPU time (wall ${formatRatio(
    one.r.wall.median,
  )}): target ≤ 1.03× ${met ? 'met' : 'NOT met'}; with a quota: ${formatRatio(
    quota.r.cpu.median,
  )}; four IPs: ${formatRatio(four.r.cpu.median)}`,
);
figures['alerts.verify.ns'] = figure(
  'verify with every alert detector on, cached path',
  one.withAlerts.cpu.nsPerOp,
  'ns/op',
  'lower',
);
ratioFigure(
  'alerts.verify.ratio',
  'verify with alerts / without (target ≤ 1.03)',
  one.r.cpu.median,
);
ratioFigure(
  'alerts.verify.quota.ratio',
  'verify with alerts / without, key with a quota',
  quota.r.cpu.median,
);
ratioFigure(
  'alerts.verify.fourIps.ratio',
  'verify with alerts / without, four client IPs in two networks',
  four.r.cpu.median,
);
// Both observers: one verify observation fanned out to the usage recorder and the alert engine.
heading('Cached verify with usage on and every detector on vs both off');
console.log(
  '  the same key and one client IP, the request naming a route; four keywards in interleaved\n' +
    '  rounds: neither (usage: false, no alerts), usage alone, detectors alone, both',
);
const observers = {
  neither: await instance({ usage: false }, KEY_OPTIONS, ONE_IP),
  usage: await instance({}, KEY_OPTIONS, ONE_IP),
  alerts: await instance({ usage: false, alerts: { onAlert: () => {} } }, KEY_OPTIONS, ONE_IP),
  both: await instance({ alerts: { onAlert: () => {} } }, KEY_OPTIONS, ONE_IP),
};
const [neither, usageOnly, alertsOnly, both] = await compare(
  Object.entries(observers).map(([name, it]) => ({ name, run: (n) => it.run(n) })),
  { rounds: 80, batchMs: 5 },
);
for (const it of Object.values(observers)) await it.keyward.close();
const combined = {
  usage: ratio(usageOnly, neither),
  alerts: ratio(alertsOnly, neither),
  both: ratio(both, neither),
};
printTable([
  ['case', 'cpu ns/op', 'wall ns/op', '× neither (cpu)', 'per-round range'],
  ['verify, neither', formatNs(neither.cpu.nsPerOp), formatNs(neither.wall.nsPerOp), '1', ''],
  ...[
    ['verify, usage on', usageOnly, combined.usage],
    ['verify, every detector on', alertsOnly, combined.alerts],
    ['verify, usage and every detector on', both, combined.both],
  ].map(([label, result, r]) => [
    label,
    formatNs(result.cpu.nsPerOp),
    formatNs(result.wall.nsPerOp),
    formatRatio(r.cpu.median),
    `${formatRatio(r.cpu.min)}–${formatRatio(r.cpu.max)}`,
  ]),
]);
console.log(
  `\n  usage / neither = ${formatRatio(combined.usage.cpu.median)} (target ≤ 1.05×), detectors / ` +
    `neither = ${formatRatio(combined.alerts.cpu.median)} (target ≤ 1.03×), both / neither = ` +
    `${formatRatio(combined.both.cpu.median)}`,
);
ratioFigure(
  'observers.verify.usage.ratio',
  'verify with usage on / neither (target ≤ 1.05)',
  combined.usage.cpu.median,
);
ratioFigure(
  'observers.verify.alerts.ratio',
  'verify with every detector on / neither (target ≤ 1.03)',
  combined.alerts.cpu.median,
);
ratioFigure(
  'observers.verify.both.ratio',
  'verify with usage and every detector on / neither',
  combined.both.cpu.median,
);
details.observers = {
  neitherNs: neither.cpu.nsPerOp,
  usageNs: usageOnly.cpu.nsPerOp,
  alertsNs: alertsOnly.cpu.nsPerOp,
  bothNs: both.cpu.nsPerOp,
  ratios: { usage: combined.usage.cpu, alerts: combined.alerts.cpu, both: combined.both.cpu },
};

details.alerts = {
  oneIp: {
    withoutNs: one.without.cpu.nsPerOp,
    withNs: one.withAlerts.cpu.nsPerOp,
    ratio: one.r.cpu,
  },
  quota: {
    withoutNs: quota.without.cpu.nsPerOp,
    withNs: quota.withAlerts.cpu.nsPerOp,
    ratio: quota.r.cpu,
  },
  fourIps: {
    withoutNs: four.without.cpu.nsPerOp,
    withNs: four.withAlerts.cpu.nsPerOp,
    ratio: four.r.cpu,
  },
  met,
};
await publish({ figures, details });
