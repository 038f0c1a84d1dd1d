import type { Command } from '../command.js';
import { booleanFlag, requireKeyward } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatKeyInfo, toJson } from '../output.js';
import { keyIdArgument } from './key-id.js';

function toggle(disabled: boolean): Command {
  const name = disabled ? 'disable' : 'enable';
  return {
    name,
    summary: disabled ? 'disable a key (it can be enabled again)' : 'enable a disabled key',
    usage: `keyward ${name} <id> [--json]`,
    flagHelp: ['--json                 print the key as JSON'],
    options: { json: { type: 'boolean' } },
    positionals: { min: 1, max: 1, name: '<id>' },
    needsStore: true,
    async run(context) {
      const id = keyIdArgument(context.positionals);
      const info = await requireKeyward(context).update(id, { disabled });
      if (booleanFlag(context.values, 'json')) {
        context.io.stdout(toJson(info));
      } else {
        const verb = disabled ? 'Disabled' : 'Enabled';
        context.io.stdout(`${verb} key ${id}.\n\n${formatKeyInfo(info, context.now)}`);
      }
      return EXIT_CODES.ok;
    },
  };
}

/** `keyward disable <id>`. */
export const disableCommand: Command = toggle(true);
/** `keyward enable <id>`. */
export const enableCommand: Command = toggle(false);
