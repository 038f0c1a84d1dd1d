import type { LimitResult } from './limits/token-bucket.js';
import type { CachedKey } from './record-cache.js';
import type { RejectionCode, VerifyRequest } from './types.js';

/**
 * What one verification came to, handed to every attached {@link VerifyObserver} exactly once, at
 * its outcome. Internal: usage recording and alerts read it; it is not exported from the package.
 *
 * The object is valid only during `observe()`: an observer copies what it keeps.
 */
export interface VerifyObservation {
  /** keyward's clock when the verification started (ms). */
  readonly now: number;
  readonly outcome: 'verified' | RejectionCode;
  /**
   * The id of the stored key whose secret the request presented; undefined until a secret
   * matched. A wrong secret is never attributed to the key its id names: that would make a guess
   * at a real key take another time than one at a made-up id, or at a revoked key than at an
   * active one (the timing check measures both; see docs/security.md). An id the client made up
   * is never reported either, so it cannot inflate anything.
   */
  readonly keyId: string | undefined;
  /** The stored key once a secret matched (record, info, owner…); otherwise undefined. */
  readonly entry: CachedKey | undefined;
  readonly ip: string | undefined;
  /** `GET /invoices/:id`: the method and the route template, never a raw URL; undefined when no template is known. */
  readonly route: string | undefined;
  /** The request method as given, and the route template alone (what `route` is made of). */
  readonly method: string | undefined;
  readonly routeTemplate: string | undefined;
  readonly cost: number;
  /** The presented secret matched (the current one or, in a rotation grace, the previous one). */
  readonly secretMatched: boolean;
  /** It matched the rotated-out secret. */
  readonly previousSecret: boolean;
  /** The quota window's result when the quota was counted. */
  readonly quota?: LimitResult | undefined;
}

/**
 * Told about every verification. Called synchronously from `verify`, never awaited; a throw is
 * swallowed. Keep it cheap: it runs on the request path.
 */
export interface VerifyObserver {
  observe(observation: VerifyObservation): void;
}

/**
 * One verification in flight, used by `verify` only while an observer is attached (or events are
 * on): it collects what the pipeline learns and is the observation handed out. `verify` recycles
 * it once observed, so a synchronous verification allocates none.
 */
export class Attempt implements VerifyObservation {
  now = 0;
  ip: string | undefined = undefined;
  /** The request, until the attempt is observed (method and route are read from it on demand). */
  request: VerifyRequest | undefined = undefined;
  cost = 1;
  /** `performance.now()` at the start when timings are on, else 0. */
  startedAt = 0;
  outcome: 'verified' | RejectionCode = 'verified';
  /** Set once a secret matched. */
  entry: CachedKey | undefined = undefined;
  /** Bit 0: the current secret matched; bit 1: the previous one did. */
  matched = 0;
  quota: LimitResult | undefined = undefined;

  /** Sets it up for a new verification. */
  reset(
    now: number,
    ip: string | undefined,
    request: VerifyRequest,
    cost: number,
    startedAt: number,
  ): this {
    this.now = now;
    this.ip = ip;
    this.request = request;
    this.cost = cost;
    this.startedAt = startedAt;
    this.outcome = 'verified';
    this.entry = undefined;
    this.matched = 0;
    this.quota = undefined;
    return this;
  }

  get method(): string | undefined {
    const method = this.request?.method;
    return typeof method === 'string' ? method : undefined;
  }

  get routeTemplate(): string | undefined {
    const route = this.request?.route;
    return typeof route === 'string' && route.length > 0 ? route : undefined;
  }

  get keyId(): string | undefined {
    return this.entry?.record.id;
  }

  get secretMatched(): boolean {
    return this.matched !== 0;
  }

  get previousSecret(): boolean {
    return this.matched === 2;
  }

  get route(): string | undefined {
    const template = this.routeTemplate;
    return template === undefined ? undefined : `${this.method ?? '*'} ${template}`;
  }
}

/** One observer for several: each called in turn, a throwing one never stopping the others. */
export function fanOut(observers: readonly VerifyObserver[]): VerifyObserver | undefined {
  if (observers.length === 0) return undefined;
  if (observers.length === 1) return observers[0];
  const list = [...observers];
  return {
    observe(observation) {
      for (const observer of list) {
        try {
          observer.observe(observation);
        } catch {
          // An observer never breaks verification or another observer.
        }
      }
    },
  };
}
