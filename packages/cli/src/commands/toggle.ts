import { auditOptions, REASON_FLAG, REASON_HELP } from '../audit-options.js';
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
    usage: `keyward ${name} <id> [--reason <text>] [--json]`,
    flagHelp: [REASON_HELP, '--json                 print the key as JSON'],
    options: { json: { type: 'boolean' }, ...REASON_FLAG },
    positionals: { min: 1, max: 1, name: '<id>' },
    needsStore: true,
    async run(context) {
      const id = keyIdArgument(context.positionals);
      const keyward = requireKeyward(context);
      const options = auditOptions(context.values, context.io.env);
      const info = await (disabled ? keyward.disable(id, options) : keyward.enable(id, options));
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
