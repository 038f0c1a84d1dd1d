/**
 * The part of a Workers KV binding (`env.KEYS`, a `KVNamespace`) that {@link KvKeyStore} uses.
 * Declared here so the package needs no `@cloudflare/workers-types`; the real binding fits it.
 *
 * @example
 * ```ts
 * const namespace: KvNamespaceBinding = env.KEYS;
 * ```
 */
export interface KvNamespaceBinding {
  get(key: string, type: 'text'): Promise<string | null>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  list(options: {
    prefix: string;
    limit: number;
    cursor?: string | null;
  }): Promise<{ keys: { name: string }[]; list_complete: boolean; cursor?: string }>;
}

/**
 * What the Durable Object stores send an object: a JSON POST.
 *
 * @example
 * ```ts
 * const init: ObjectRequestInit = { method: 'POST', headers: {}, body: '{}' };
 * ```
 */
export interface ObjectRequestInit {
  method: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * What the Durable Object stores read from an object's response.
 *
 * @example
 * ```ts
 * const response: ObjectResponse = await stub.fetch(url, init);
 * ```
 */
export interface ObjectResponse {
  readonly ok: boolean;
  readonly status: number;
  json(): Promise<unknown>;
}

/**
 * The part of a Durable Object namespace binding (`env.LIMITS`, a `DurableObjectNamespace`) that
 * the Durable Object stores use: an id from a name, and a stub to `fetch`. Declared without the
 * global `Request`/`Response` types, so it fits the real binding under `@cloudflare/workers-types`
 * and under Node's types alike.
 *
 * @example
 * ```ts
 * const namespace: DurableObjectNamespaceBinding = env.LIMITS;
 * ```
 */
export interface DurableObjectNamespaceBinding<Id = unknown> {
  idFromName(name: string): Id;
  get(id: Id): { fetch(input: string, init: ObjectRequestInit): Promise<ObjectResponse> };
}

/**
 * The part of a Durable Object's state (the constructor's first argument) that
 * {@link KeywardLimits} and {@link KeywardKeys} use.
 *
 * @example
 * ```ts
 * export class MyLimits extends KeywardLimits {
 *   constructor(state: DurableObjectStateLike, env: unknown) { super(state, env); }
 * }
 * ```
 */
export interface DurableObjectStateLike {
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
  storage: {
    get<T = unknown>(key: string): Promise<T | undefined>;
    put<T>(key: string, value: T): Promise<void>;
    /** Present on SQLite-backed objects (`new_sqlite_classes`), which {@link KeywardKeys} needs. */
    sql?: SqlStorageLike | undefined;
  };
}

/**
 * The SQL API of a SQLite-backed Durable Object (`ctx.storage.sql`), as {@link KeywardKeys}
 * uses it.
 *
 * @example
 * ```ts
 * const rows = sql.exec('SELECT record FROM keyward_keys WHERE id = ?', id).toArray();
 * ```
 */
export interface SqlStorageLike {
  exec(query: string, ...bindings: unknown[]): { toArray(): Record<string, unknown>[] };
}
