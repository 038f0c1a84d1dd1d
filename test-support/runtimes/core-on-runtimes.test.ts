// @keyward/core's own unit tests, run on Bun and on Deno: vitest itself runs under each runtime
// (vitest.core.config.ts), and its setup file fails every file that is not on that runtime.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runtimeBinary } from './binaries.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VITEST = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const CONFIG = fileURLToPath(new URL('./vitest.core.config.ts', import.meta.url));
const RUN_TIMEOUT_MS = 240_000;

const dir = mkdtempSync(path.join(tmpdir(), 'keyward-core-runtimes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const commands = {
  bun: [runtimeBinary('bun'), ['--bun', VITEST]],
  deno: [runtimeBinary('deno'), ['run', '-A', '--node-modules-dir=manual', VITEST]],
} as const;

interface Report {
  numTotalTestSuites: number;
  numPassedTests: number;
  numFailedTests: number;
  numFailedTestSuites: number;
  testResults: Array<{
    name: string;
    message?: string;
    assertionResults?: Array<{ fullName: string; status: string; failureMessages?: string[] }>;
  }>;
}

/** What failed, by file and test, with the first lines of each message: the JSON reporter prints none of it. */
function failures(report: Report): string {
  const lines: string[] = [];
  for (const file of report.testResults) {
    const name = path.relative(ROOT, file.name);
    if (file.message) lines.push(`${name}: ${file.message.slice(0, 800)}`);
    for (const test of file.assertionResults ?? []) {
      if (test.status !== 'failed') continue;
      const message = (test.failureMessages ?? []).join('\n').split('\n').slice(0, 6).join('\n');
      lines.push(`${name} > ${test.fullName}\n${message}`);
    }
  }
  return lines.join('\n\n');
}

/** Runs core's tests under `runtime`; resolves with vitest's JSON report and the runtime marks. */
function runCoreTests(runtime: keyof typeof commands) {
  const [command, prefix] = commands[runtime];
  const report = path.join(dir, `${runtime}.json`);
  const marker = path.join(dir, `${runtime}.marks`);
  const args = [...prefix, 'run', '--config', CONFIG, '--reporter=json', `--outputFile=${report}`];
  return new Promise<{ report: Report; marks: string[]; output: string }>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        KEYWARD_TEST_RUNTIME: runtime,
        KEYWARD_RUNTIME_MARKER: marker,
        DENO_NO_UPDATE_CHECK: '1',
        NO_COLOR: '1',
      },
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-6_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      if (!existsSync(report)) {
        reject(new Error(`${runtime} wrote no report:\n${output}`));
        return;
      }
      resolve({
        report: JSON.parse(readFileSync(report, 'utf8')) as Report,
        marks: existsSync(marker) ? readFileSync(marker, 'utf8').trim().split('\n') : [],
        output,
      });
    });
  });
}

describe.concurrent('@keyward/core unit tests on other runtimes', () => {
  for (const runtime of ['bun', 'deno'] as const) {
    it(`all pass on ${runtime}, every file on ${runtime}`, {
      timeout: RUN_TIMEOUT_MS + 10_000,
    }, async () => {
      const { report, marks, output } = await runCoreTests(runtime);
      const failed = report.numFailedTests + report.numFailedTestSuites;
      expect(failed, `${failures(report)}\n\n${output}`).toBe(0);
      expect(report.numPassedTests).toBeGreaterThan(300);
      // One mark per test file, each from the runtime asked for.
      expect(marks).toHaveLength(report.testResults.length);
      expect(new Set(marks.map((mark) => mark.split(' ')[0]))).toEqual(new Set([runtime]));
      console.log(
        `core on ${marks[0]}: ${report.numPassedTests} passed in ${report.testResults.length} files`,
      );
    });
  }
});
