import type { AuditEntry } from '@keyward/core';
import { usageError } from '../cli-error.js';
import type { Command, CommandContext } from '../command.js';
import { booleanFlag, requireKeyward, stringFlag } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatTable, toJson } from '../output.js';
import { quoteArgument } from '../quote-argument.js';
import { parseDuration } from '../values.js';
import { keyIdArgument } from './key-id.js';
import { parseLimit } from './list.js';

/** `--since`: an ISO date (`2030-01-31`, `2030-01-31T12:00:00Z`) or a duration back from now (`24h`). */
function parseSince(text: string | undefined, now: number): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (Number.isNaN(ms)) throw usageError(`--since: "${text}" is not a valid date`);
    return ms;
  }
  if (!/^\d/.test(trimmed)) {
    throw usageError(`--since: "${text}" is not a duration (24h, 7d) or an ISO date`);
  }
  return now - parseDuration(trimmed, '--since');
}

function describeChanges(entry: AuditEntry): string {
  return entry.changes === undefined ? '-' : Object.keys(entry.changes).join(',');
}

async function verifyTrail(context: CommandContext): Promise<number> {
  const result = await requireKeyward(context).verifyAudit();
  const { io, values } = context;
  if (booleanFlag(values, 'json')) io.stdout(toJson(result));
  else if (result.ok) {
    const head =
      result.head === undefined ? '' : ` (last: seq ${result.head.seq}, hash ${result.head.hash})`;
    io.stdout(`audit trail intact: ${result.entries} entries${head}\n`);
  } else {
    io.stdout(`audit trail BROKEN at entry ${result.seq}: changed, removed or out of order\n`);
  }
  return result.ok ? EXIT_CODES.ok : EXIT_CODES.finding;
}

/** `keyward audit`: the audit trail, or `keyward audit verify`: check its hash chain. */
export const auditCommand: Command = {
  name: 'audit',
  summary: 'show who changed which key when (audit verify: check the trail for tampering)',
  usage:
    'keyward audit [--key <id>] [--since <when>] [--limit <n>] [--cursor <c>] [--json]\n       keyward audit verify [--json]',
  flagHelp: [
    '--key <id>             only this key’s entries',
    '--since <when>         entries since an ISO date (2030-01-31) or a duration ago (24h, 7d)',
    '--limit <n>            page size, 1 to 1000 (default 100)',
    '--cursor <cursor>      the next page, as printed after the previous one',
    '--json                 print { items, cursor } (verify: { ok, entries | seq }) as JSON',
    'audit verify exits 1 when the trail was changed, shortened in the middle or reordered.',
  ],
  options: {
    key: { type: 'string' },
    since: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: { min: 0, max: 1, name: 'verify' },
  needsStore: true,
  async run(context) {
    const { values, io, now, positionals } = context;
    if (positionals[0] !== undefined) {
      if (positionals[0] !== 'verify') {
        throw usageError(`unknown audit subcommand ${quoteArgument(positionals[0])} (try verify)`);
      }
      return verifyTrail(context);
    }
    const key = stringFlag(values, 'key');
    const page = await requireKeyward(context).audit({
      keyId: key === undefined ? undefined : keyIdArgument([key]),
      since: parseSince(stringFlag(values, 'since'), now),
      limit: parseLimit(stringFlag(values, 'limit')),
      cursor: stringFlag(values, 'cursor'),
    });
    if (booleanFlag(values, 'json')) {
      io.stdout(toJson(page));
      return EXIT_CODES.ok;
    }
    if (page.items.length === 0) {
      io.stderr('no audit entries\n');
      return EXIT_CODES.ok;
    }
    const rows = page.items.map((entry) => [
      String(entry.seq),
      entry.at.toISOString(),
      entry.type,
      entry.keyId,
      entry.actor === undefined ? '-' : `${entry.actor.type}:${entry.actor.id}`,
      describeChanges(entry),
      entry.reason ?? '-',
    ]);
    io.stdout(formatTable(['SEQ', 'AT', 'TYPE', 'KEY', 'ACTOR', 'CHANGED', 'REASON'], rows));
    if (page.cursor !== undefined) io.stderr(`more: keyward audit --cursor ${page.cursor}\n`);
    return EXIT_CODES.ok;
  },
};
