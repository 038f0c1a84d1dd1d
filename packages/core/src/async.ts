import { KeywardError, StoreUnavailableError } from './errors.js';
import type { MaybePromise } from './stores/types.js';

/**
 * Whether `value` is a Promise (or any thenable). `verify` returns a plain object whenever it can;
 * adapters use this to answer synchronously without creating a Promise.
 *
 * @example
 * ```ts
 * const result = keyward.verify(request, verifyOptions);
 * if (isPromiseLike(result)) result.then(respond);
 * else respond(result);
 * ```
 */
export function isPromiseLike<T>(value: MaybePromise<T>): value is Promise<T> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * The cause kept on a store error: the driver error's name, code and message only. Drivers attach
 * far more (ioredis `command.args`, pg `detail` and `parameters`), which for a write holds the
 * record and its hash; none of that may travel on into a user's logs.
 */
function safeCause(error: unknown): Error {
  const source = error as { name?: unknown; message?: unknown; code?: unknown } | null;
  const cause = new Error(typeof source?.message === 'string' ? source.message : String(error));
  cause.name = typeof source?.name === 'string' ? source.name : 'Error';
  if (typeof source?.code === 'string' || typeof source?.code === 'number') {
    (cause as Error & { code?: unknown }).code = source.code;
  }
  return cause;
}

/** Keyward's own errors (e.g. a store's DuplicateKeyIdError) pass through; others are wrapped. */
function asStoreError(error: unknown, what: string): Error {
  if (error instanceof KeywardError) return error;
  if ((error as { code?: unknown } | null)?.code === 'duplicate_key_id') return error as Error;
  return new StoreUnavailableError(`${what} failed`, { cause: safeCause(error) });
}

/**
 * Resolves with `promise`, or rejects with a {@link StoreUnavailableError} after `ms`. The timer
 * is unref'd and cleared, and a late rejection of `promise` is swallowed (never unhandled).
 */
export function withTimeout<T>(promise: PromiseLike<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      reject(new StoreUnavailableError(`${what} did not answer within ${ms} ms`));
    }, ms);
    (timer as { unref?: () => void }).unref?.();
    Promise.resolve(promise).then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(asStoreError(error, what));
      },
    );
  });
}

/** Runs a store call with a timeout; a synchronous throw becomes a rejection. */
export async function callStore<T>(
  call: () => MaybePromise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let value: MaybePromise<T>;
  try {
    value = call();
  } catch (error) {
    throw asStoreError(error, what);
  }
  return isPromiseLike(value) ? withTimeout(value, ms, what) : value;
}
