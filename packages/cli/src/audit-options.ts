import { userInfo } from 'node:os';
import type { AuditActor, AuditContext } from '@keyward/core';
import type { CliIo, FlagValues } from './command.js';
import { stringFlag } from './command.js';

/** `--reason`, shared by every command that changes a key. */
export const REASON_FLAG = { reason: { type: 'string' } } as const;
export const REASON_HELP = '--reason <text>        why (kept in the audit trail)';

/** Who runs the CLI: `{ type: 'cli', id: <OS user> }` (the login name, else $USER, else "unknown"). */
export function cliActor(env: CliIo['env']): AuditActor {
  let id: string | undefined;
  try {
    id = userInfo().username;
  } catch {
    id = undefined;
  }
  id ||= env.USER || env.LOGNAME || env.USERNAME || 'unknown';
  return { type: 'cli', id };
}

/** The actor and `--reason` a command passes to keyward for the audit trail. */
export function auditOptions(values: FlagValues, env: CliIo['env']): AuditContext {
  const reason = stringFlag(values, 'reason');
  const actor = cliActor(env);
  return reason === undefined ? { actor } : { actor, reason };
}
