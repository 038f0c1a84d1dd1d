export type {
  DurableObjectNamespaceBinding,
  DurableObjectStateLike,
  KvNamespaceBinding,
  ObjectRequestInit,
  ObjectResponse,
  SqlStorageLike,
} from './bindings.js';
export type { DurableObjectKeyStoreOptions } from './durable-object-key-store.js';
export { DurableObjectKeyStore } from './durable-object-key-store.js';
export type { DurableObjectLimitStoreOptions } from './durable-object-limit-store.js';
export { DurableObjectLimitStore } from './durable-object-limit-store.js';
export { KeywardKeys } from './keyward-keys.js';
export { KeywardLimits } from './keyward-limits.js';
export type { KvKeyStoreOptions } from './kv-key-store.js';
export { KvKeyStore } from './kv-key-store.js';
