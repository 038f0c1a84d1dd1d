import { closeSync, openSync } from 'node:fs';

/**
 * Creates `path` as an empty file that only its owner may read or write (mode 0600, narrowed
 * further by the umask), unless something already exists there: an existing file keeps its mode.
 * Done before SQLite opens the path, so the database is never readable by others, not even for
 * a moment; the `-wal`, `-shm` and `-journal` files SQLite creates beside it take the database
 * file's mode. Any failure is left for SQLite to report when it opens the path.
 */
export function createPrivateFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch {
    return;
  }
  closeSync(fd);
}
