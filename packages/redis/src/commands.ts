import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import {
  APPEND_AUDIT_LUA,
  INSERT_KEY_AUDITED_LUA,
  UPDATE_KEY_AUDITED_LUA,
} from './scripts/audit.js';
import { INSERT_KEY_LUA, UPDATE_KEY_LUA } from './scripts/key-records.js';
import { FILTER_KEYS_LUA } from './scripts/list-filter.js';
import { QUOTA_LUA } from './scripts/quota.js';
import { TOKEN_BUCKET_LUA } from './scripts/token-bucket.js';
import { RECORD_USAGE_LUA } from './scripts/usage.js';

/**
 * A client RedisStore accepts: an ioredis `Redis` or `Cluster`.
 *
 * @example
 * ```ts
 * const client: RedisClient = new Cluster([{ host: 'redis-1', port: 6379 }]);
 * ```
 */
export type RedisClient = Redis | Cluster;

type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

/** The scripts RedisStore runs, each sent as EVALSHA (ioredis reloads it on NOSCRIPT). */
export interface StoreScripts {
  takeToken: ScriptCall;
  countQuota: ScriptCall;
  insertKey: ScriptCall;
  updateKey: ScriptCall;
  appendAudit: ScriptCall;
  insertKeyAudited: ScriptCall;
  updateKeyAudited: ScriptCall;
  recordUsage: ScriptCall;
  filterKeys: ScriptCall;
}

const SCRIPTS = {
  takeToken: { lua: TOKEN_BUCKET_LUA, numberOfKeys: 1 },
  countQuota: { lua: QUOTA_LUA, numberOfKeys: 1 },
  insertKey: { lua: INSERT_KEY_LUA, numberOfKeys: undefined },
  updateKey: { lua: UPDATE_KEY_LUA, numberOfKeys: undefined },
  appendAudit: { lua: APPEND_AUDIT_LUA, numberOfKeys: 4 },
  insertKeyAudited: { lua: INSERT_KEY_AUDITED_LUA, numberOfKeys: undefined },
  updateKeyAudited: { lua: UPDATE_KEY_AUDITED_LUA, numberOfKeys: undefined },
  recordUsage: { lua: RECORD_USAGE_LUA, numberOfKeys: undefined },
  filterKeys: { lua: FILTER_KEYS_LUA, numberOfKeys: undefined },
} as const;

/**
 * Registers keyward's scripts on the user's client with ioredis's `defineCommand` (EVALSHA, with
 * EVAL on a connection's first use and after NOSCRIPT). Each command's name carries its script's
 * digest, so two versions of this package sharing one client never overwrite each other's.
 */
export function defineScripts(client: RedisClient): StoreScripts {
  const methods = client as unknown as Record<string, ScriptCall | undefined>;
  const define = (name: keyof typeof SCRIPTS): ScriptCall => {
    const { lua, numberOfKeys } = SCRIPTS[name];
    const command = `keyward_${name}_${createHash('sha1').update(lua).digest('hex').slice(0, 12)}`;
    if (typeof methods[command] !== 'function') {
      client.defineCommand(command, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
    }
    const call = methods[command] as ScriptCall;
    return (...args) => call.apply(client, args);
  };
  return {
    takeToken: define('takeToken'),
    countQuota: define('countQuota'),
    insertKey: define('insertKey'),
    updateKey: define('updateKey'),
    appendAudit: define('appendAudit'),
    insertKeyAudited: define('insertKeyAudited'),
    updateKeyAudited: define('updateKeyAudited'),
    recordUsage: define('recordUsage'),
    filterKeys: define('filterKeys'),
  };
}
