// Summarises a V8 CPU profile (.cpuprofile, e.g. from `node --cpu-prof`, or the server profiles
// `BENCH_HTTP_PROFILE=<dir> node bench/run.mjs http` writes): the functions with the most self
// time, and keyward's own share of the busy time by function (see _profile-attribution.mjs).
// Not a section (the leading underscore keeps run.mjs from running it).
//
//   node bench/_profile-summary.mjs <file.cpuprofile> [--top 30]

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { attributeProfile } from './_profile-attribution.mjs';
import { printTable, ROOT_DIR } from './lib.mjs';

const args = process.argv.slice(2);
const file = args.find((arg) => !arg.startsWith('--') && arg !== args[args.indexOf('--top') + 1]);
if (file === undefined) {
  console.error('usage: node bench/_profile-summary.mjs <file.cpuprofile> [--top 30]');
  process.exit(2);
}
const topAt = args.indexOf('--top');
const top = Math.max(1, Math.min(topAt >= 0 ? Number(args[topAt + 1]) || 30 : 30, 200));

const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
for (const id of profile.samples) {
  const frame = byId.get(id).callFrame;
  if (frame.functionName === '(idle)') continue;
  const url = frame.url.replace(/^file:\/\//, '');
  const where = url ? ` ${path.relative(ROOT_DIR, url)}:${frame.lineNumber + 1}` : '';
  const name = `${frame.functionName || '(anonymous)'}${where}`;
  self.set(name, (self.get(name) ?? 0) + 1);
}
const attribution = attributeProfile(profile);
const busy = attribution.busySamples;
const pct = (count) => `${((count / busy) * 100).toFixed(1)}%`;
console.log(
  `${path.basename(file)}: ${busy} busy samples (${attribution.idleSamples} idle); ` +
    `keyward's own work ${pct(attribution.keywardSamples)} of busy time ` +
    `(${Object.entries(attribution.byPackage)
      .map(([name, count]) => `${name} ${pct(count)}`)
      .join(', ')})`,
);
printTable([
  ['function (self time)', '% of busy'],
  ...[...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, count]) => [name, pct(count)]),
]);
console.log();
printTable([
  ['nearest keyward function (self + non-keyward code it calls)', '% of busy'],
  ...attribution.byFunction.slice(0, top).map(([name, count]) => [name, pct(count)]),
]);
