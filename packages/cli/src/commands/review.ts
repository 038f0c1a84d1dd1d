import { usageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { booleanFlag, requireKeyward, stringFlag } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatTable, toJson } from '../output.js';

function parseDays(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const days = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(days >= 1 && days <= 36_500))
    throw usageError(`${flag}: "${text}" must be 1 to 36500 days`);
  return days;
}

/** `keyward review`: an access review; exits 1 when it finds anything (for cron and CI). */
export const reviewCommand: Command = {
  name: 'review',
  summary:
    'review keys: unused, overdue for rotation, unrestricted, wildcard scopes… (exit 1 on findings)',
  usage: 'keyward review [--unused-days <n>] [--rotate-days <n>] [--json]',
  flagHelp: [
    '--unused-days <n>      a key unused this many days is a finding (default 90)',
    '--rotate-days <n>      a secret older than this many days is overdue (default 90)',
    '--json                 print the findings as JSON',
    'Exits 1 when there are findings, 0 when there are none.',
  ],
  options: {
    'unused-days': { type: 'string' },
    'rotate-days': { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: { min: 0, max: 0, name: '' },
  needsStore: true,
  async run(context) {
    const { values, io } = context;
    const findings = await requireKeyward(context).review({
      unusedDays: parseDays(stringFlag(values, 'unused-days'), '--unused-days'),
      rotateEveryDays: parseDays(stringFlag(values, 'rotate-days'), '--rotate-days'),
    });
    if (booleanFlag(values, 'json')) io.stdout(toJson(findings));
    else if (findings.length === 0) io.stderr('no findings\n');
    else {
      const rows = findings.map((f) => [f.keyId, f.name, f.ownerId ?? '-', f.kind, f.detail]);
      io.stdout(formatTable(['KEY', 'NAME', 'OWNER', 'FINDING', 'DETAIL'], rows));
    }
    return findings.length === 0 ? EXIT_CODES.ok : EXIT_CODES.finding;
  },
};
