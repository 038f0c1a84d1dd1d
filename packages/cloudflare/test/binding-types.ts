// Compile-time check (run by `pnpm typecheck`): the real Workers binding types, as
// @cloudflare/workers-types declares them, fit the options of every store.
import type { DurableObjectNamespace, KVNamespace } from '@cloudflare/workers-types/index';
import type {
  DurableObjectKeyStoreOptions,
  DurableObjectLimitStoreOptions,
  KvKeyStoreOptions,
} from '@keyward/cloudflare';

declare const env: {
  KEYS: KVNamespace;
  LIMITS: DurableObjectNamespace;
  KEY_OBJECTS: DurableObjectNamespace;
};

export const kv: KvKeyStoreOptions = { namespace: env.KEYS };
export const limits: DurableObjectLimitStoreOptions = { namespace: env.LIMITS };
export const keys: DurableObjectKeyStoreOptions = { namespace: env.KEY_OBJECTS };
