/**
 * The keyward deployments the adapter and attack tables run against, described as plain data so
 * the same deployment can be built in this process or inside another runtime (Bun, Deno,
 * workerd; see `runtimes/`). Imports nothing but @keyward/core: it is bundled into the worker.
 */
import {
  createKeyward,
  type KeyInfo,
  type KeyRecord,
  type KeyStore,
  type Keyward,
  type KeywardOptions,
  MemoryStore,
} from '@keyward/core';

/** What a table needs of a deployment, as JSON. */
export interface DeploymentSpec {
  /**
   * `memory`: a MemoryStore; `counting`: one that counts key reads; `rejecting` / `throwing`: a key
   * store whose reads fail (rejected Promise, synchronous throw); `async`: one that always answers
   * through a Promise.
   */
  readonly keyStore: 'memory' | 'counting' | 'rejecting' | 'throwing' | 'async';
  /** Record-cache size; 0 turns the cache off. Default: keyward's. */
  readonly cacheMax?: number;
  readonly failedAttempts?: { readonly capacity: number; readonly refillPerSecond: number };
  /** Whether time comes from a {@link FakeClock} the test moves (it starts at the same instant). */
  readonly fakeClock?: boolean;
  /**
   * Whether to build a second keyward instance over the same key and limit stores, as two
   * guards of an app could be (the layered-guard cases).
   */
  readonly twin?: boolean;
}

/**
 * What an app might put on a request itself, where an adapter puts a verified key: it must never
 * count as verified (the layered-guard cases).
 */
export const FORGED_KEY = Object.freeze({
  id: 'forged000000',
  environment: 'live',
  name: 'forged',
  redacted: 'acme_live_forged000000_…',
  scopes: Object.freeze(['*']),
  disabled: false,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  version: 1,
}) as KeyInfo;

/** A clock the tests move by hand. */
export class FakeClock {
  now = Date.parse('2031-03-04T10:00:00.000Z');
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

/** A MemoryStore that counts key reads, to prove a rejection never reached the store. */
export class CountingStore extends MemoryStore {
  reads = 0;
  override getKey(id: string) {
    this.reads++;
    return super.getKey(id);
  }
}

/** A key store whose reads fail: a rejected Promise or a synchronous throw. */
function failingStore(mode: 'reject' | 'throw'): KeyStore {
  const inner = new MemoryStore();
  return {
    getKey: (): Promise<KeyRecord | undefined> => {
      if (mode === 'throw') throw new Error('connection refused');
      return Promise.reject(new Error('connection refused'));
    },
    insertKey: (record) => inner.insertKey(record),
    updateKey: (record, version) => inner.updateKey(record, version),
    listKeys: (query) => inner.listKeys(query),
  };
}

/** A key store that answers every call through a Promise settled on a later turn. */
function asyncStore(): KeyStore {
  const inner = new MemoryStore();
  const later = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 0));
  return {
    getKey: (id) => later(inner.getKey(id)),
    insertKey: (record) => later(inner.insertKey(record)),
    updateKey: (record, version) => later(inner.updateKey(record, version)),
    listKeys: (query) => later(inner.listKeys(query)),
  };
}

/** A deployment built from a spec: the keyward, and the handles the tables move or read. */
export interface LocalDeployment {
  readonly keyward: Keyward;
  /** The second instance over the same stores, when the spec asks for a `twin`. */
  readonly other: Keyward | undefined;
  readonly clock: FakeClock | undefined;
  /** Key reads so far (a `counting` store), otherwise 0. */
  storeReads(): number;
}

/**
 * Builds the deployment `spec` describes: prefix `acme`, live keys only, failed-attempt
 * throttling off unless the spec sets it.
 *
 * @example
 * ```ts
 * const { keyward, clock } = buildDeployment({ keyStore: 'memory', fakeClock: true });
 * ```
 */
export function buildDeployment(spec: DeploymentSpec): LocalDeployment {
  const clock = spec.fakeClock === true ? new FakeClock() : undefined;
  const counting = spec.keyStore === 'counting' ? new CountingStore() : undefined;
  const stores: Partial<KeywardOptions> =
    spec.keyStore === 'memory' || counting !== undefined
      ? { store: counting ?? new MemoryStore() }
      : {
          keyStore:
            spec.keyStore === 'async'
              ? asyncStore()
              : failingStore(spec.keyStore === 'rejecting' ? 'reject' : 'throw'),
          limitStore: new MemoryStore(),
        };
  const options: KeywardOptions = {
    prefix: 'acme',
    environments: ['live'],
    ...stores,
    failedAttempts: spec.failedAttempts ?? false,
    ...(spec.cacheMax === undefined ? {} : { cache: { max: spec.cacheMax } }),
    ...(clock === undefined ? {} : { clock: clock.read }),
  };
  const keyward = createKeyward(options);
  const other = spec.twin === true ? createKeyward(options) : undefined;
  return { keyward, other, clock, storeReads: () => counting?.reads ?? 0 };
}
