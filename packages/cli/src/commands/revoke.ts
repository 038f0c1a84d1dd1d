import { auditOptions } from '../audit-options.js';
import type { Command } from '../command.js';
import { booleanFlag, requireKeyward } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatKeyInfo, toJson } from '../output.js';
import { keyIdArgument } from './key-id.js';

/** `keyward revoke <id>`: revokes a key for good. */
export const revokeCommand: Command = {
  name: 'revoke',
  summary: 'revoke a key for good',
  usage: 'keyward revoke <id> [--reason <text>] [--json]',
  flagHelp: [
    '--reason <text>        why (kept with the key, shown by show, and in the audit trail)',
    '--json                 print the key as JSON',
  ],
  options: { reason: { type: 'string' }, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1, name: '<id>' },
  needsStore: true,
  async run(context) {
    const id = keyIdArgument(context.positionals);
    const info = await requireKeyward(context).revoke(
      id,
      auditOptions(context.values, context.io.env),
    );
    if (booleanFlag(context.values, 'json')) {
      context.io.stdout(toJson(info));
    } else {
      context.io.stdout(`Revoked key ${id}.\n\n${formatKeyInfo(info, context.now)}`);
    }
    return EXIT_CODES.ok;
  },
};
