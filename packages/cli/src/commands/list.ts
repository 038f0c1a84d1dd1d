import { KEY_STATUSES, type KeyStatus } from '@keyward/core';
import { usageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { booleanFlag, requireKeyward, stringFlag } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { parseEnvironment } from '../key-options.js';
import { formatTable, keyStatus, toJson } from '../output.js';
import { escapeControl } from '../terminal-text.js';

/** A flag value as the shell reads it back: bare when plain, else single-quoted and escaped. */
function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_.:@%+=,/-]+$/.test(text)) return text;
  return escapeControl(`'${text.replaceAll("'", "'\\''")}'`);
}

/** `--limit`: a page size from 1 to 1000. */
export function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const limit = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(limit >= 1 && limit <= 1000)) throw usageError(`--limit: "${text}" must be 1 to 1000`);
  return limit;
}

const STATUSES: readonly string[] = KEY_STATUSES;

/** `--status`: one of the four key states. */
export function parseStatus(text: string | undefined): KeyStatus | undefined {
  if (text === undefined) return undefined;
  if (!STATUSES.includes(text)) {
    throw usageError(`--status: "${escapeControl(text)}" must be ${KEY_STATUSES.join(', ')}`);
  }
  return text as KeyStatus;
}

/** `keyward list`: one page of keys as a table or JSON. */
export const listCommand: Command = {
  name: 'list',
  summary: 'list keys (filter by owner, environment, status, or search)',
  usage:
    'keyward list [--owner <id>] [--env live|test] [--status <s>] [--search <text>] [--limit <n>] [--cursor <c>] [--json]',
  flagHelp: [
    '--owner <id>           only this owner’s keys',
    '--env <live|test>      only this environment',
    '--status <s>           only active, disabled, revoked or expired keys',
    '--search <text>        the key with this id, and keys whose name contains the text (A-Z = a-z)',
    '--limit <n>            page size, 1 to 1000 (default 100)',
    '--cursor <cursor>      the next page, as printed after the previous one',
    '--json                 print { items, cursor } as JSON',
  ],
  options: {
    owner: { type: 'string' },
    env: { type: 'string' },
    status: { type: 'string' },
    search: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: { min: 0, max: 0, name: '' },
  needsStore: true,
  async run(context) {
    const { values, io, now } = context;
    const status = parseStatus(stringFlag(values, 'status'));
    const search = stringFlag(values, 'search');
    const page = await requireKeyward(context).list({
      ownerId: stringFlag(values, 'owner'),
      environment: parseEnvironment(values),
      limit: parseLimit(stringFlag(values, 'limit')),
      cursor: stringFlag(values, 'cursor'),
      ...(status === undefined ? {} : { status }),
      ...(search === undefined ? {} : { search }),
    });
    if (booleanFlag(values, 'json')) {
      io.stdout(toJson(page));
      return EXIT_CODES.ok;
    }
    if (page.items.length === 0) {
      io.stderr('no keys\n');
      return EXIT_CODES.ok;
    }
    const rows = page.items.map((info) => [
      info.id,
      info.environment,
      keyStatus(info, now),
      info.lastUsedAt?.toISOString() ?? 'never',
      info.name,
      info.ownerId ?? '-',
      info.expiresAt?.toISOString() ?? '-',
      info.scopes.join(',') || '-',
    ]);
    io.stdout(
      formatTable(['ID', 'ENV', 'STATUS', 'LAST USED', 'NAME', 'OWNER', 'EXPIRES', 'SCOPES'], rows),
    );
    if (page.cursor !== undefined) {
      const again = ['owner', 'env', 'status', 'search', 'limit']
        .filter((flag) => stringFlag(values, flag) !== undefined)
        .map((flag) => ` --${flag} ${shellQuote(stringFlag(values, flag)!)}`)
        .join('');
      io.stderr(`more: keyward list${again} --cursor ${escapeControl(page.cursor)}\n`);
    }
    return EXIT_CODES.ok;
  },
};
