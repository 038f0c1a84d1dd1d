import type { Dirent, Stats } from 'node:fs';
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { usageError } from '../cli-error.js';

/** Directories never walked into. */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set([
  'node_modules',
  '.git',
  '.hg',
  '.svn',
]);

/** Files larger than this are skipped (with a note on stderr). */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;

/** A file to scan: `label` is how to print it (relative as the user gave it). */
export interface WalkedFile {
  readonly label: string;
  readonly absolute: string;
}

async function* walkDirectory(label: string, absolute: string): AsyncGenerator<WalkedFile> {
  let entries: Dirent[];
  try {
    entries = await readdir(absolute, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const childLabel = join(label, entry.name);
    const childAbsolute = join(absolute, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) yield* walkDirectory(childLabel, childAbsolute);
    } else if (entry.isFile()) {
      yield { label: childLabel, absolute: childAbsolute };
    }
  }
}

/**
 * The files under `path` (a file or a directory), depth-first in name order. A path that does
 * not exist is a usage error. Symlinks inside directories are not followed.
 */
export async function* walkFiles(path: string, cwd: string): AsyncGenerator<WalkedFile> {
  const absolute = resolve(cwd, path);
  let info: Stats;
  try {
    info = await stat(absolute);
  } catch {
    throw usageError(`no such file or directory: ${path}`);
  }
  if (info.isDirectory()) yield* walkDirectory(path, absolute);
  else if (info.isFile()) yield { label: path, absolute };
}

/** A file's text, or why it was skipped. */
export type FileText =
  | { readonly text: string }
  | { readonly skipped: 'binary' | 'too large' | 'unreadable' };

/**
 * Reads a file as UTF-8 text. Skips a binary file (a NUL byte in its first 8 KiB) and one
 * larger than {@link MAX_FILE_BYTES}.
 */
export async function readTextFile(absolute: string): Promise<FileText> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(absolute, 'r');
    if ((await handle.stat()).size > MAX_FILE_BYTES) return { skipped: 'too large' };
    const buffer = await handle.readFile();
    if (buffer.subarray(0, 8192).includes(0)) return { skipped: 'binary' };
    return { text: buffer.toString('utf8') };
  } catch {
    return { skipped: 'unreadable' };
  } finally {
    await handle?.close();
  }
}
