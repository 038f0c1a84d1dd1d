import { statSync } from 'node:fs';
import type { CliIo } from './command.js';
import { escapeControl } from './terminal-text.js';

/**
 * Warns on stderr when the existing file at `path` may be read or written by its group or by
 * others (any of mode 0066). Says nothing for a missing file, and on Windows, where modes do
 * not say who may read a file.
 */
export function warnIfShared(path: string, what: { holds: string; fix: string }, io: CliIo): void {
  if (process.platform === 'win32') return;
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined || !stat.isFile() || (stat.mode & 0o066) === 0) return;
  const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
  io.stderr(
    `keyward: warning: ${escapeControl(path)} holds ${what.holds} but is readable or writable by group or others (mode ${mode}): ${what.fix}\n`,
  );
}
