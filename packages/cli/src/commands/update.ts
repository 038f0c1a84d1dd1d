import { auditOptions, REASON_FLAG, REASON_HELP } from '../audit-options.js';
import type { Command } from '../command.js';
import { booleanFlag, requireKeyward } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { CLEAR_FLAGS, KEY_FLAG_HELP, KEY_FLAGS, updateOptions } from '../key-options.js';
import { formatKeyInfo, toJson } from '../output.js';
import { getExisting, keyIdArgument } from './key-id.js';

/** `keyward update <id>`: changes a key's name, scopes, restrictions, limits, expiry or metadata. */
export const updateCommand: Command = {
  name: 'update',
  summary: 'change a key’s name, scopes, restrictions, routes, limits, expiry or metadata',
  usage: 'keyward update <id> [options]',
  flagHelp: [
    '--name <name>          rename the key',
    ...KEY_FLAG_HELP.map((line) =>
      line.startsWith('--meta')
        ? '--meta <key=value>     set a metadata entry (merged); repeat for more'
        : line,
    ),
    '--clear-ip             remove the IP allow-list',
    '--clear-referrer       remove the referrer patterns',
    '--clear-routes         remove the route restriction (any route)',
    '--clear-rate           remove the rate limit',
    '--clear-quota          remove the quota',
    '--clear-expires        make the key never expire',
    '--clear-meta           remove all metadata (with --meta: replace it)',
    REASON_HELP,
    'Lists (--scopes, --ip, --referrer/--referrers/--origins together, --routes) replace the current',
    'list. The owner, environment and type cannot change.',
  ],
  options: { ...KEY_FLAGS, ...CLEAR_FLAGS, ...REASON_FLAG },
  positionals: { min: 1, max: 1, name: '<id>' },
  needsStore: true,
  async run(context) {
    const keyward = requireKeyward(context);
    const id = keyIdArgument(context.positionals);
    const current = await getExisting(keyward, id);
    const changes = updateOptions(context.values, current, context.now);
    const info = await keyward.update(id, changes, {
      expectedVersion: current.version,
      ...auditOptions(context.values, context.io.env),
    });
    context.io.stdout(
      booleanFlag(context.values, 'json') ? toJson(info) : formatKeyInfo(info, context.now),
    );
    return EXIT_CODES.ok;
  },
};
