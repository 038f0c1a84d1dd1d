import type { WebhookHeaders } from '../headers.js';
import { compileSecrets } from '../secret.js';
import { MemorySeenIdStore } from '../seen-ids/memory-seen-id-store.js';
import type { MaybePromise, SeenIdStore } from '../seen-ids/types.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TOLERANCE_SECONDS,
  numberOption,
  type VerifierSettings,
  verifyWithSettings,
} from '../verify.js';
import { isPromiseLike } from './async.js';
import {
  rejection,
  tooLarge,
  type WebhookRejection,
  type WebhookRejectionCode,
} from './problem.js';

/**
 * Options every webhook middleware takes (Express, Koa, Fastify).
 *
 * @example
 * ```ts
 * const options: WebhookAuthOptions = {
 *   secrets: [process.env.WEBHOOK_SECRET!, process.env.WEBHOOK_SECRET_PREVIOUS!],
 *   seenIds: new RedisSeenIdStore({ client }),
 * };
 * ```
 */
export interface WebhookAuthOptions {
  /** The endpoint's secret (`whsec_…`), or several during a rotation: the current one first. */
  readonly secrets: string | readonly string[];
  /** How far a timestamp may be from now, either way. Default 300 s. */
  readonly toleranceSeconds?: number | undefined;
  /** Larger bodies are refused (413, code `malformed`) before they are read in full. Default 1 MiB. */
  readonly maxBodyBytes?: number | undefined;
  /**
   * Where accepted ids are remembered until their timestamp leaves the tolerance, to refuse a
   * replay (`409 replayed`). Default a `MemorySeenIdStore` of this middleware; with several
   * processes use a `RedisSeenIdStore`; `false` turns replay refusal off.
   */
  readonly seenIds?: SeenIdStore | false | undefined;
  /** How long a seen-id store call may take before the webhook is refused (503). Default 1000 ms. */
  readonly storeTimeoutMs?: number | undefined;
  /** Milliseconds since the epoch; for tests. Default `Date.now`. */
  readonly clock?: (() => number) | undefined;
}

/**
 * A verified webhook, as the middleware hands it to the route: its id, its timestamp (seconds
 * since the epoch) and the exact bytes that were verified.
 *
 * @example
 * ```ts
 * const { id, timestamp, rawBody }: ReceivedWebhook = req.webhook!;
 * ```
 */
export interface ReceivedWebhook {
  readonly id: string;
  readonly timestamp: number;
  readonly rawBody: Buffer;
}

/** The parts of Node's ServerResponse the middleware watches to forget the id of a failed handler. */
export interface WatchedResponse {
  once(event: 'close', listener: () => void): unknown;
  readonly writableFinished: boolean;
  readonly statusCode: number;
}

/** A middleware's compiled options and the work every adapter shares. */
export interface Receiver {
  readonly maxBodyBytes: number;
  /** Whether the declared `content-length` is already over the limit. */
  declaredTooLarge(contentLength: string | undefined): boolean;
  readonly tooLarge: WebhookRejection;
  /**
   * Verifies `rawBody` and, when a seen-id store is set, claims its id (refusing a replay); once
   * claimed, the id is forgotten again if `response` does not end with a 2xx.
   */
  accept(
    headers: WebhookHeaders,
    rawBody: Buffer,
    response: WatchedResponse,
  ): MaybePromise<ReceivedWebhook | WebhookRejection>;
  reject(code: WebhookRejectionCode): WebhookRejection;
}

const CODES: readonly WebhookRejectionCode[] = [
  'missing_headers',
  'malformed',
  'invalid_signature',
  'timestamp_too_old',
  'timestamp_too_new',
  'replayed',
  'store_unavailable',
];

/**
 * `promise`, or a rejection after `ms` (the timer unref'd and cleared). A result that comes after
 * the timeout goes to `late` instead: a claim the caller already gave up on must be undone.
 */
function withTimeout<T>(promise: Promise<T>, ms: number, late: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
    (timer as { unref?: () => void }).unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        if (timedOut) late(value);
        else resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Calls `store.delete(id)`, swallowing any failure: the id then lives until its TTL. */
function forget(store: SeenIdStore, id: string): void {
  try {
    const deleted = store.delete(id);
    if (isPromiseLike(deleted)) deleted.then(undefined, () => {});
  } catch {
    // A retry within the TTL is then refused as a replay; nothing crashes.
  }
}

function checkSeenIds(value: unknown, clock: () => number): SeenIdStore | undefined {
  if (value === false) return undefined;
  if (value === undefined) return new MemorySeenIdStore({ clock });
  const store = value as Partial<SeenIdStore> | null;
  if (typeof store?.add !== 'function' || typeof store.delete !== 'function') {
    throw new TypeError('seenIds must be a SeenIdStore (add, delete) or false');
  }
  return store as SeenIdStore;
}

/** Checks a middleware's options (a bad one throws a TypeError at startup) and compiles them. */
export function createReceiver(options: WebhookAuthOptions, what: string): Receiver {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${what} needs { secrets }`);
  }
  const settings: VerifierSettings = {
    keys: compileSecrets(options.secrets, 'secrets'),
    toleranceSeconds: numberOption(
      options.toleranceSeconds,
      'toleranceSeconds',
      DEFAULT_TOLERANCE_SECONDS,
    ),
    maxBodyBytes: numberOption(options.maxBodyBytes, 'maxBodyBytes', DEFAULT_MAX_BODY_BYTES),
  };
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') throw new TypeError('clock must be a function');
  const seenIds = checkSeenIds(options.seenIds, clock);
  const storeTimeoutMs = numberOption(options.storeTimeoutMs, 'storeTimeoutMs', 1000);
  if (storeTimeoutMs === 0) throw new TypeError('storeTimeoutMs must be positive');
  const rejections = new Map(CODES.map((code) => [code, rejection(code)]));
  const reject = (code: WebhookRejectionCode) => rejections.get(code)!;

  function forgetUnlessDelivered(store: SeenIdStore, id: string, response: WatchedResponse) {
    response.once('close', () => {
      const status = response.statusCode;
      if (response.writableFinished && status >= 200 && status < 300) return;
      forget(store, id);
    });
  }

  return {
    maxBodyBytes: settings.maxBodyBytes,
    tooLarge: tooLarge(settings.maxBodyBytes),
    reject,
    declaredTooLarge(contentLength) {
      return contentLength !== undefined && Number(contentLength) > settings.maxBodyBytes;
    },
    accept(headers, rawBody, response) {
      const now = clock();
      const result = verifyWithSettings(settings, headers, rawBody, now);
      if (!result.ok) return reject(result.code);
      const webhook: ReceivedWebhook = { id: result.id, timestamp: result.timestamp, rawBody };
      if (seenIds === undefined) return webhook;
      // Remembered until the same signed request would be refused as too old.
      const ttlMs = (result.timestamp + settings.toleranceSeconds + 1) * 1000 - now;
      const claimed = (added: boolean) => {
        if (!added) return reject('replayed');
        forgetUnlessDelivered(seenIds, webhook.id, response);
        return webhook;
      };
      let added: MaybePromise<boolean>;
      try {
        added = seenIds.add(webhook.id, ttlMs);
      } catch {
        return reject('store_unavailable');
      }
      if (!isPromiseLike(added)) return claimed(added);
      const late = (lateAdded: boolean) => {
        if (lateAdded) forget(seenIds, webhook.id);
      };
      return withTimeout(added, storeTimeoutMs, late).then(claimed, () =>
        reject('store_unavailable'),
      );
    },
  };
}
