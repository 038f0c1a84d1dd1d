import type { LimitResult } from './limits/token-bucket.js';
import type { CachedKey } from './record-cache.js';
import type { RejectionCode } from './types.js';

/**
 * What one verification saw, handed to the observers (usage counters, alert detectors) once, at
 * its outcome. Internal: built only when an observer is attached.
 */
export interface VerifyObservation {
  readonly now: number;
  readonly outcome: 'verified' | RejectionCode;
  /** Undefined before an id is known. */
  readonly keyId: string | undefined;
  /** Set once a secret matched (record, info, owner…). */
  readonly entry: CachedKey | undefined;
  readonly ip: string | undefined;
  /** `GET /invoices/:id` (method + template), never a raw URL. */
  readonly route: string | undefined;
  readonly cost: number;
  /** The presented secret matched (the current one or the previous). */
  readonly secretMatched: boolean;
  /** It matched the secret a rotation replaced (grace). */
  readonly previousSecret: boolean;
  /** The quota window result when a quota was counted. */
  readonly quota?: LimitResult | undefined;
}

/**
 * Receives every verification's observation; must not throw (keyward guards it anyway). The
 * object may be reused once `observe` returns: copy what you keep.
 */
export interface VerifyObserver {
  observe(observation: VerifyObservation): void;
}

/** A {@link VerifyObservation} as verify fills it in along the way. */
export type Observation = { -readonly [K in keyof VerifyObservation]: VerifyObservation[K] };
