/**
 * Shared fixtures for the core test suite (imported only by `*.test.ts` files; not part of the
 * package's exports).
 */
import type { AuditDraft } from './audit/types.js';
import { formatKey, parseKey } from './key/format.js';
import { createKeyward, type KeywardOptions } from './keyward.js';
import { MemoryStore } from './stores/memory-store.js';
import type { KeyRecord, KeyStore, LimitStore } from './stores/types.js';
import type { KeywardEvent, VerifyRequest, VerifyResult } from './types.js';

export const PREFIX = 'acme';

/** A settable clock for `createKeyward({ clock })`. */
export interface FakeClock {
  (): number;
  now: number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function fakeClock(start = Date.UTC(2025, 0, 15, 12, 0, 0)): FakeClock {
  const clock = (() => clock.now) as FakeClock;
  clock.now = start;
  clock.advance = (ms) => {
    clock.now += ms;
  };
  clock.set = (ms) => {
    clock.now = ms;
  };
  return clock;
}

/** A MemoryStore that counts reads and remembers every hash it was given. */
export class RecordingStore extends MemoryStore {
  reads = 0;
  readonly hashes = new Set<string>();

  override getKey(id: string): KeyRecord | undefined {
    this.reads++;
    return super.getKey(id);
  }

  override insertKey(record: KeyRecord, audit?: AuditDraft): void {
    this.#remember(record);
    super.insertKey(record, audit);
  }

  override updateKey(record: KeyRecord, expectedVersion: number, audit?: AuditDraft): boolean {
    this.#remember(record);
    return super.updateKey(record, expectedVersion, audit);
  }

  #remember(record: KeyRecord): void {
    this.hashes.add(record.hash);
    if (record.previousHash !== undefined) this.hashes.add(record.previousHash);
  }
}

/**
 * A key store that answers with Promises after `delayMs`, over a MemoryStore. `holdNext()` makes
 * the next getKey wait until released, answering with the record as it was when the read started.
 */
export class AsyncKeyStore implements KeyStore {
  reads = 0;
  #hold: { released: boolean; waiting: Array<() => void> } | undefined;

  constructor(
    readonly inner: MemoryStore = new MemoryStore(),
    private readonly delayMs = 5,
  ) {}

  /** Holds the next getKey until the returned function is called (a read after that is not held). */
  holdNext(): () => void {
    const hold = { released: false, waiting: [] as Array<() => void> };
    this.#hold = hold;
    return () => {
      hold.released = true;
      for (const answer of hold.waiting.splice(0)) answer();
    };
  }

  getKey(id: string): Promise<KeyRecord | undefined> {
    this.reads++;
    const snapshot = this.inner.getKey(id);
    const hold = this.#hold;
    this.#hold = undefined;
    if (hold !== undefined && !hold.released) {
      return new Promise((resolve) => hold.waiting.push(() => resolve(snapshot)));
    }
    return new Promise((resolve) => setTimeout(() => resolve(snapshot), this.delayMs));
  }

  async insertKey(record: KeyRecord): Promise<void> {
    this.inner.insertKey(record);
  }

  async updateKey(record: KeyRecord, expectedVersion: number): Promise<boolean> {
    return this.inner.updateKey(record, expectedVersion);
  }

  async listKeys(query: Parameters<KeyStore['listKeys']>[0]) {
    return this.inner.listKeys(query);
  }
}

/** A test harness: a keyward over a RecordingStore with a fake clock, collecting events. */
export function setup(options: Partial<KeywardOptions> = {}) {
  const store = new RecordingStore();
  const clock = fakeClock();
  const events: KeywardEvent[] = [];
  const keyward = createKeyward({
    prefix: PREFIX,
    store,
    clock,
    onEvent: (event) => events.push(event),
    ...options,
  } as KeywardOptions);
  return { keyward, store, clock, events };
}

/** A request carrying `key` as `Authorization: Bearer <key>`. */
export function bearer(key: string, extra: Partial<VerifyRequest> = {}): VerifyRequest {
  return {
    ip: '203.0.113.9',
    ...extra,
    headers: { authorization: `Bearer ${key}`, ...extra.headers },
  };
}

/** Resolves a verify result that may or may not be a Promise. */
export async function settle(result: VerifyResult | Promise<VerifyResult>): Promise<VerifyResult> {
  return result;
}

/** Narrows to a rejection or fails the test. */
export function rejection(result: VerifyResult) {
  if (result.ok) throw new Error('expected a rejection, got ok');
  return result;
}

/** The same key with another secret (checksum recomputed), i.e. a wrong secret for a known id. */
export function withSecret(key: string, secret: string, prefix = PREFIX): string {
  const parsed = parseKey(key, prefix);
  if (parsed === undefined) throw new Error('not a key');
  return formatKey(prefix, parsed.environment, parsed.id, secret);
}

/** The secret part of a key. */
export function secretOf(key: string, prefix = PREFIX): string {
  const parsed = parseKey(key, prefix);
  if (parsed === undefined) throw new Error('not a key');
  return parsed.secret;
}

/**
 * `key` with its last character changed, so its checksum no longer matches. The last character
 * is a base62 digit of the CRC, so a fixed replacement would be the key itself once in 62 keys.
 */
export function wrongChecksum(key: string): string {
  return `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
}

/** A 43-char base62 secret that differs from `secret`. */
export function otherSecret(secret: string): string {
  return (secret[0] === 'A' ? 'B' : 'A') + secret.slice(1);
}

/** A limit store whose every call fails the way `mode` says. */
export function failingLimitStore(mode: 'throw' | 'reject' | 'hang'): LimitStore {
  const fail = () => {
    if (mode === 'throw') throw new Error('limit store down');
    if (mode === 'reject') return Promise.reject(new Error('limit store down'));
    return new Promise<never>(() => {});
  };
  return { takeToken: fail, countQuota: fail } as unknown as LimitStore;
}
