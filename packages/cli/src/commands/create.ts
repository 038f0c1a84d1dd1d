import { auditOptions, REASON_FLAG, REASON_HELP } from '../audit-options.js';
import type { Command } from '../command.js';
import { booleanFlag, requireKeyward } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { createOptions, KEY_FLAG_HELP, KEY_FLAGS } from '../key-options.js';
import { formatKeyInfo, toJson } from '../output.js';

/**
 * The scope `--admin` adds: what `@keyward/console` asks of the key an operator signs in with.
 *
 * @example
 * ```ts
 * await keyward.create({ name: 'console: alice', scopes: [ADMIN_SCOPE] });
 * ```
 */
export const ADMIN_SCOPE = 'keyward:admin';

/** `scopes` with {@link ADMIN_SCOPE} added once. */
function withAdminScope(scopes: readonly string[] | undefined): string[] {
  const all = [...(scopes ?? [])];
  if (!all.includes(ADMIN_SCOPE)) all.push(ADMIN_SCOPE);
  return all;
}

export const ONCE_WARNING =
  'Copy this key now: it will not be shown again (keyward stores only its hash).';

/** `keyward create`: issues a key and prints it once. */
export const createCommand: Command = {
  name: 'create',
  summary: 'issue a new key (printed once)',
  usage: 'keyward create --name <name> [--env live|test] [--owner <id>] [--admin] [options]',
  flagHelp: [
    '--name <name>          a name for people (required)',
    '--env <live|test>      the key environment (default live)',
    '--owner <id>           the owner (account, team…) the key belongs to',
    `--admin                add the scope ${ADMIN_SCOPE}: a key to sign in to the web console`,
    ...KEY_FLAG_HELP,
    REASON_HELP,
  ],
  options: { ...KEY_FLAGS, ...REASON_FLAG, admin: { type: 'boolean' } },
  positionals: { min: 0, max: 0, name: '' },
  needsStore: true,
  createsDatabase: true,
  async run(context) {
    const keyward = requireKeyward(context);
    const options = createOptions(context.values, context.now);
    if (booleanFlag(context.values, 'admin')) options.scopes = withAdminScope(options.scopes);
    const issued = await keyward.create({
      ...options,
      ...auditOptions(context.values, context.io.env),
    });
    const { io } = context;
    if (booleanFlag(context.values, 'json')) {
      io.stdout(toJson({ key: issued.key, record: issued.record }));
      io.stderr(`${ONCE_WARNING}\n`);
      return EXIT_CODES.ok;
    }
    io.stdout(`Created key ${issued.record.id}:\n\n  ${issued.key}\n\n`);
    io.stderr(`${ONCE_WARNING}\n\n`);
    io.stdout(formatKeyInfo(issued.record, context.now));
    return EXIT_CODES.ok;
  },
};
