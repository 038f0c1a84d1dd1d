import { scanForKeys } from '@keyward/core';
import { usageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { listFlag } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { quoteArgument } from '../quote-argument.js';
import { readTextFile, walkFiles } from '../scan/walk-files.js';
import { escapeControl } from '../terminal-text.js';
import { splitList } from '../values.js';

/** `keyward scan <paths…>`: finds keyward keys in files; exit 1 when any is found. */
export const scanCommand: Command = {
  name: 'scan',
  summary: 'find keyward keys in files (exit 1 when any is found)',
  usage: 'keyward scan [paths…] [--prefix <prefix>]',
  flagHelp: [
    '[paths…]               files and directories (default: .); - reads standard input',
    '--prefix <prefix>      only keys with this prefix; comma-separated or repeated',
    'Directories are walked recursively, skipping node_modules, .git, .hg, .svn, symlinks and',
    'binary files. Only strings whose checksum is right are reported, so random look-alikes are not.',
    'Findings print as file:line:col with the secret cut off. Needs no store and no prefix.',
  ],
  options: { prefix: { type: 'string', multiple: true } },
  positionals: { min: 0, max: Number.POSITIVE_INFINITY, name: '[paths…]' },
  needsStore: false,
  async run(context) {
    const { io } = context;
    const prefixes = splitList(listFlag(context.values, 'prefix'));
    for (const prefix of prefixes) {
      if (!/^[a-z][a-z0-9]{1,15}$/.test(prefix)) {
        throw usageError(`--prefix: ${quoteArgument(prefix)} must match [a-z][a-z0-9]{1,15}`);
      }
    }
    const only = prefixes.length > 0 ? prefixes : undefined;
    const paths = context.positionals.length > 0 ? context.positionals : ['.'];
    let findings = 0;
    let files = 0;
    const report = (unsafeLabel: string, text: string) => {
      files++;
      const found = scanForKeys(text, only);
      if (found.length === 0) return;
      const label = escapeControl(unsafeLabel);
      let out = '';
      for (const key of found) out += `${label}:${key.line}:${key.column}: ${key.redacted}\n`;
      io.stdout(out);
      findings += found.length;
    };
    for (const path of paths) {
      if (path === '-') {
        report('<stdin>', await io.readStdin());
        continue;
      }
      for await (const file of walkFiles(path, io.cwd)) {
        const read = await readTextFile(file.absolute);
        if ('text' in read) report(file.label, read.text);
        else if (read.skipped !== 'binary') {
          io.stderr(`skipped ${escapeControl(file.label)}: ${read.skipped}\n`);
        }
      }
    }
    io.stderr(
      findings === 0
        ? `no keyward keys found (${files} ${files === 1 ? 'file' : 'files'} scanned)\n`
        : `found ${findings} keyward ${findings === 1 ? 'key' : 'keys'}; revoke and rotate ${findings === 1 ? 'it' : 'them'} (keyward revoke <id>)\n`,
    );
    return findings === 0 ? EXIT_CODES.ok : EXIT_CODES.finding;
  },
};
