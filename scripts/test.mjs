// `pnpm test`: builds every package (tests run the built CLI, examples and consumer checks),
// runs the whole vitest workspace, and ends with the plain tally `N passed, M failed` (read from
// vitest's JSON reporter), which CI reads as the last line. KEYWARD_BUILT=1 skips the build when
// the caller has just built (as .ci/run does).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

if (process.env.KEYWARD_BUILT !== '1') {
  const build = spawnSync('pnpm', ['build'], { stdio: 'inherit' });
  if (build.status !== 0) {
    console.log('0 passed, 1 failed');
    process.exit(build.status ?? 1);
  }
}

const out = '.vitest-results.json';
rmSync(out, { force: true });
const run = spawnSync(
  'vitest',
  [
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit', shell: process.platform === 'win32' },
);
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(out)) {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed = report.numPassedTests ?? 0;
  // Failed tests; a file that failed without any failed test (an import error, a failing hook)
  // counts as one failure so it can never pass unnoticed.
  failed = report.numFailedTests ?? 0;
  if (failed === 0) failed = report.numFailedTestSuites ?? 0;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
} else {
  failed = 1;
}
const code = run.status ?? 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(code !== 0 || failed > 0 ? code || 1 : 0);
