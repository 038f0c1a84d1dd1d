/**
 * Starts an example server in its own runtime (Bun, Deno) as a user would, and reads the URL and
 * the keys it prints (`… listening on <url>`, `read:  <key>`, `admin: <key>`).
 */
import { spawn } from 'node:child_process';
import type { RunningExampleServer } from '../example-cases.js';

export { runtimeBinary } from './binaries.js';

const START_TIMEOUT_MS = 30_000;

/**
 * Runs `command args` in `cwd` with PORT=0 and resolves once it printed its URL and keys.
 *
 * @example
 * ```ts
 * const example = await startExample(runtimeBinary('bun'), ['run', 'server.ts'], here);
 * ```
 */
export function startExample(
  command: string,
  args: string[],
  cwd: string,
): Promise<RunningExampleServer> {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
  });
  let output = '';
  const close = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void close();
      reject(new Error(`${why}:\n${output}`));
    };
    const timer = setTimeout(
      () => fail(`${command} did not print its URL and keys`),
      START_TIMEOUT_MS,
    );
    child.on('error', (error) => fail(String(error)));
    child.on('exit', (code) => fail(`${command} exited (${code})`));
    const take = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      const readKey = /read: +(\S+)/.exec(output)?.[1];
      const adminKey = /admin: +(\S+)/.exec(output)?.[1];
      if (url && readKey && adminKey) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ url, readKey, adminKey, close });
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
  });
}
