/** Whether `value` is a Promise (or any thenable). */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Calls a user's `onReject`: a throw, or the rejection of a Promise it returns, goes to `fail`
 * (the framework's error path). `reply` is a returned value not to treat as a Promise: Fastify's
 * reply is thenable.
 */
export function callRejectHandler(
  call: () => unknown,
  fail: (error: Error) => void,
  reply?: unknown,
): void {
  let returned: unknown;
  try {
    returned = call();
  } catch (error) {
    fail(error as Error);
    return;
  }
  if (returned !== reply && isPromiseLike(returned)) returned.then(undefined, fail);
}
