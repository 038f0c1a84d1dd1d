// Runs benchmark sections, each in its own child process, and saves their figures.
//
//   node bench/run.mjs              every section
//   node bench/run.mjs core http    only these sections
//   node bench/run.mjs --list       the sections there are
//   node bench/run.mjs --out bench/results.local.json core   save somewhere else (git-ignored)
//
// A section is any bench/<name>.mjs other than run.mjs and lib.mjs (see lib.mjs). Results are
// merged into bench/results.json: sections that ran replace their previous entry, the others are
// kept; each headline figure is printed next to the previous run's value.

import { fork } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, formatRatio, machineInfo, printTable } from './lib.mjs';

const DEFAULT_RESULTS_FILE = path.join(BENCH_DIR, 'results.json');
const NOT_SECTIONS = new Set(['run', 'lib']);
/** Preferred order; sections not listed run after these, alphabetically. */
const ORDER = ['core', 'stores', 'redis', 'http'];
/** A section that runs longer than this is killed and reported as failed. */
const SECTION_TIMEOUT_MS = 15 * 60_000;
const CHILD_FLAGS = ['--expose-gc', '--max-old-space-size=4096'];

function availableSections() {
  const names = readdirSync(BENCH_DIR)
    .filter((file) => file.endsWith('.mjs') && !file.startsWith('_'))
    .map((file) => file.slice(0, -'.mjs'.length))
    .filter((name) => !NOT_SECTIONS.has(name));
  const rank = (name) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function parseArgs(argv, available) {
  const requested = [];
  let out = DEFAULT_RESULTS_FILE;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out') {
      const file = argv[++i];
      if (file === undefined || file.startsWith('-')) fail('--out needs a file name');
      out = path.resolve(file);
      continue;
    }
    if (arg === '--list') {
      console.log(available.join('\n'));
      process.exit(0);
    }
    if (arg === '--help' || arg === '-h') {
      console.log('usage: node bench/run.mjs [--list] [--out results.json] [section ...]');
      console.log(`sections: ${available.join(', ')}`);
      process.exit(0);
    }
    if (arg.startsWith('-')) fail(`unknown option ${arg}`);
    if (!available.includes(arg)) {
      fail(`unknown section "${arg}"; available: ${available.join(', ')}`);
    }
    if (!requested.includes(arg)) requested.push(arg);
  }
  return { sections: requested.length > 0 ? requested : available, out };
}

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

function runSection(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    let results;
    const child = fork(path.join(BENCH_DIR, `${name}.mjs`), [], {
      execArgv: CHILD_FLAGS,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => {
      console.error(
        `bench: section ${name} exceeded ${SECTION_TIMEOUT_MS / 60_000} min; killing it`,
      );
      child.kill('SIGKILL');
    }, SECTION_TIMEOUT_MS);
    child.on('message', (message) => {
      if (message?.type === 'bench-results') results = message.results;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const seconds = (Date.now() - started) / 1000;
      if (code === 0 && results !== undefined) {
        resolve({ name, ok: true, results: { ...results, seconds } });
      } else {
        const why = signal ? `signal ${signal}` : `exit code ${code}`;
        const reason = results === undefined && code === 0 ? 'published no results' : why;
        resolve({ name, ok: false, reason });
      }
    });
  });
}

function readPrevious(file) {
  if (!existsSync(file)) return { sections: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed?.sections === 'object' && parsed.sections !== null
      ? parsed
      : { sections: {} };
  } catch {
    console.error(`bench: ${path.basename(file)} is unreadable; starting a new one`);
    return { sections: {} };
  }
}

function formatValue(fig) {
  const { value, unit } = fig;
  if (unit === 'ratio') return formatRatio(value);
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const number = value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return `${number} ${unit}`;
}

function change(fig, previous) {
  if (previous === undefined || previous.unit !== fig.unit || previous.value === 0) return '';
  const pct = ((fig.value - previous.value) / Math.abs(previous.value)) * 100;
  const better = fig.better === 'lower' ? pct < 0 : pct > 0;
  const sign = pct > 0 ? '+' : '';
  return `${sign}${pct.toFixed(1)}%${Math.abs(pct) >= 5 ? (better ? ' better' : ' worse') : ''}`;
}

const available = availableSections();
const { sections, out } = parseArgs(process.argv.slice(2), available);
const machine = machineInfo();
console.log(
  `keyward benchmarks — ${machine.date}\n` +
    `node ${machine.node}, ${machine.cpu} × ${machine.cores}, ${machine.memoryGiB} GiB, ` +
    `${machine.platform}, load ${machine.loadAverage.join(' ')}` +
    (machine.commit ? `, commit ${machine.commit}` : '') +
    `\nsections: ${sections.join(', ')}`,
);

const outcomes = [];
for (const name of sections) outcomes.push(await runSection(name));

const previous = readPrevious(out);
const saved = { machine, sections: { ...previous.sections } };
console.log('\n\nSummary');
console.log('=======');
for (const outcome of outcomes) {
  if (!outcome.ok) {
    console.log(`\n${outcome.name}: FAILED (${outcome.reason}); previous figures kept`);
    continue;
  }
  const before = previous.sections[outcome.name];
  const rows = [['figure', 'value', before ? `vs ${before.machine?.date ?? 'previous'}` : '']];
  for (const [id, fig] of Object.entries(outcome.results.figures ?? {})) {
    rows.push([fig.label ?? id, formatValue(fig), change(fig, before?.figures?.[id])]);
  }
  console.log(`\n${outcome.name} (${outcome.results.seconds.toFixed(1)} s)`);
  printTable(rows);
  saved.sections[outcome.name] = outcome.results;
}
writeFileSync(out, `${JSON.stringify(saved, null, 2)}\n`);
console.log(`\nsaved to ${path.relative(process.cwd(), out) || out}`);
if (outcomes.some((outcome) => !outcome.ok)) process.exit(1);
