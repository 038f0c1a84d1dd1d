/**
 * Where the runtimes' own executables are. The npm packages' `node_modules/.bin` entries are
 * launchers (a shell script or a Node script that starts the binary as a child), so a process
 * spawned through them leaves its runtime running when it is killed: spawn these paths instead.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(fileURLToPath(new URL('../../package.json', import.meta.url)));

/**
 * The executable of `bun`, `deno` or `workerd`, as installed from npm.
 *
 * @example
 * ```ts
 * spawn(runtimeBinary('bun'), ['run', 'server.ts']);
 * ```
 */
export function runtimeBinary(name: 'bun' | 'deno' | 'workerd'): string {
  if (name === 'bun')
    return path.join(path.dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe');
  if (name === 'workerd') return (require('workerd') as { default: string }).default;
  // deno's launcher links the platform package's binary into place on first use.
  return (require('deno/install_api.cjs') as { runInstall(): string }).runInstall();
}
