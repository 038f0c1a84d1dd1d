import type { Command } from '../command.js';
import { booleanFlag, requireKeyward } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatKeyInfo, toJson } from '../output.js';
import { getExisting, keyIdArgument } from './key-id.js';

/** `keyward show <id>`: one key's details. */
export const showCommand: Command = {
  name: 'show',
  summary: 'show one key',
  usage: 'keyward show <id> [--json]',
  flagHelp: ['--json                 print the key as JSON'],
  options: { json: { type: 'boolean' } },
  positionals: { min: 1, max: 1, name: '<id>' },
  needsStore: true,
  async run(context) {
    const info = await getExisting(requireKeyward(context), keyIdArgument(context.positionals));
    context.io.stdout(
      booleanFlag(context.values, 'json') ? toJson(info) : formatKeyInfo(info, context.now),
    );
    return EXIT_CODES.ok;
  },
};
