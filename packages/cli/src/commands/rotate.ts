import { auditOptions, REASON_FLAG, REASON_HELP } from '../audit-options.js';
import type { Command } from '../command.js';
import { booleanFlag, requireKeyward, stringFlag } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatKeyInfo, toJson } from '../output.js';
import { parseDuration } from '../values.js';
import { ONCE_WARNING } from './create.js';
import { keyIdArgument } from './key-id.js';

/** `keyward rotate <id>`: a new secret for the same id, printed once. */
export const rotateCommand: Command = {
  name: 'rotate',
  summary: 'give a key a new secret (same id); the old one works during --grace',
  usage: 'keyward rotate <id> [--grace <duration>] [--reason <text>] [--json]',
  flagHelp: [
    '--grace <duration>     how long the old secret keeps working: 24h, 30m, 7d (default 0: stops now)',
    REASON_HELP,
    '--json                 print { key, record } as JSON',
  ],
  options: { grace: { type: 'string' }, json: { type: 'boolean' }, ...REASON_FLAG },
  positionals: { min: 1, max: 1, name: '<id>' },
  needsStore: true,
  async run(context) {
    const { values, io, now } = context;
    const id = keyIdArgument(context.positionals);
    const grace = stringFlag(values, 'grace');
    const gracePeriodMs = grace === undefined ? 0 : parseDuration(grace, '--grace');
    const issued = await requireKeyward(context).rotate(id, {
      gracePeriodMs,
      ...auditOptions(values, io.env),
    });
    if (booleanFlag(values, 'json')) {
      io.stdout(toJson({ key: issued.key, record: issued.record }));
      io.stderr(`${ONCE_WARNING}\n`);
      return EXIT_CODES.ok;
    }
    io.stdout(`Rotated key ${id}. New key:\n\n  ${issued.key}\n\n`);
    io.stderr(`${ONCE_WARNING}\n`);
    const until = issued.record.previousSecretExpiresAt;
    io.stderr(
      until === undefined
        ? 'The old secret stopped working now.\n\n'
        : `The old secret keeps working until ${until.toISOString()}.\n\n`,
    );
    io.stdout(formatKeyInfo(issued.record, now));
    return EXIT_CODES.ok;
  },
};
