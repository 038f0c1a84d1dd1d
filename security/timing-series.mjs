// Runs the short timing check several times in a row on the honest build, then as many times on
// the leaky build (an early-exit digest compare, see leaky-compare.mjs), and prints the markdown
// table docs/security.md shows ("Timing", "Ten short runs"). Needs the built core:
//
//   npx pnpm@10 test:timing:series          builds core, then 10 + 10 runs (~15 min)
//   node security/timing-series.mjs --runs=3
//
// Exit code 1 unless every honest run passed and every leaky run failed.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const RUNS = Number(arg('runs') ?? 10);
const CHECK = fileURLToPath(new URL('./timing.mjs', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'keyward-timing-'));

/** One short run; its report, exit code and the load average when it started. */
function run(leaky, index) {
  const out = join(directory, `${leaky ? 'leaky' : 'honest'}-${index}.json`);
  const load = loadavg()[0] ?? 0;
  const args = [CHECK, '--short', '--quiet', `--out=${out}`, ...(leaky ? ['--leaky'] : [])];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
  process.stderr.write(child.stdout + child.stderr);
  if (child.status !== 0 && child.status !== 1)
    throw new Error(`timing.mjs crashed: ${child.stderr}`);
  return {
    leaky,
    index,
    load,
    status: child.status,
    report: JSON.parse(readFileSync(out, 'utf8')),
  };
}

const fmt = (x) => (x > 0 ? `+${x}` : `${x}`);
const rows = [];
for (const leaky of [false, true]) {
  for (let i = 1; i <= RUNS; i++) rows.push(run(leaky, i));
}
rmSync(directory, { recursive: true, force: true });

console.log(
  '| build | run | verdict (exit) | (e) sha256 / hmac, ns | largest other gating, ns | ' +
    'spin (p), ns | resolution ± ns | epochs | s | load |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const { leaky, index, load, status, report } of rows) {
  const gating = report.results.filter((r) => r.role === 'gating');
  const e = gating.filter((r) => r.comparison === 'e');
  // The estimate farthest from zero among the other gating comparisons, either figure.
  let largest = { value: 0, label: '' };
  for (const r of gating.filter((r) => r.comparison !== 'e')) {
    for (const figure of ['median', 'fastestQuarter']) {
      const value = r[figure].differenceNs;
      if (Math.abs(value) >= Math.abs(largest.value)) {
        largest = { value, label: `${r.configuration === 'sha256' ? 's' : 'h'}(${r.comparison})` };
      }
    }
  }
  const power = report.results.filter((r) => r.role === 'power');
  console.log(
    `| ${leaky ? 'leaky' : 'honest'} | ${index} | ${report.verdict} (${status}) | ` +
      `${e.map((r) => `${fmt(r.median.differenceNs)} [${r.median.intervalNs.join(', ')}]`).join(' / ')} | ` +
      `${fmt(largest.value)} ${largest.label} | ` +
      `${power.map((r) => r.fastestQuarter.differenceNs).join(' / ')} | ` +
      `${report.power.resolutionNs} | ${report.method.epochs} | ${report.seconds} | ` +
      `${load.toFixed(1)} |`,
  );
}
const wrong = rows.filter((r) => r.status !== (r.leaky ? 1 : 0));
console.log(
  `\n${rows.filter((r) => !r.leaky && r.status === 0).length}/${RUNS} honest runs passed, ` +
    `${rows.filter((r) => r.leaky && r.status === 1).length}/${RUNS} leaky runs failed`,
);
process.exit(wrong.length === 0 ? 0 : 1);
