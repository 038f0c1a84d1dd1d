import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built binary the tests run, as a user would. */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

const BUILD_HINT =
  'build first: npx pnpm@10 --filter @keyward/core --filter @keyward/sqlite --filter @keyward/cli build';

/** Throws a clear error when the binary (or what it imports) has not been built. */
export function assertBuilt(): void {
  const needed = [
    BIN,
    fileURLToPath(new URL('../../core/dist/index.js', import.meta.url)),
    fileURLToPath(new URL('../../sqlite/dist/index.js', import.meta.url)),
  ];
  const missing = needed.filter((path) => !existsSync(path));
  if (missing.length > 0) {
    throw new Error(
      `The CLI tests run the built binary, but ${missing.join(', ')} is missing: ${BUILD_HINT}`,
    );
  }
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/bin.js …args` in `cwd` with only `env` (plus PATH) set. */
export function runBin(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; input?: string },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', ...options.env },
      timeout: 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
