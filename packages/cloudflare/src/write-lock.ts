/** The last write queued per record key in this isolate; every later write waits for it. */
const tails = new Map<string, Promise<void>>();

/**
 * How long a write waits for the one before it. A Worker's I/O belongs to its request: if that
 * request is cancelled, its write may never settle, and later writes must not wait forever.
 */
const MAX_WAIT_MS = 5_000;

function settledOrTimedOut(previous: Promise<void>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, MAX_WAIT_MS);
  });
  return Promise.race([previous, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `write` after the earlier writes to the same `name` in this isolate have settled (waiting
 * at most 5 s for them). KV has no compare-and-set; this is what makes a read-compare-write exact
 * within one isolate, shared by every KvKeyStore there whichever request built it. It cannot
 * reach other isolates or locations.
 */
export function serialize<T>(name: string, write: () => Promise<T>): Promise<T> {
  const previous = tails.get(name);
  const run = previous === undefined ? write() : settledOrTimedOut(previous).then(write);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  tails.set(name, tail);
  void tail.then(() => {
    if (tails.get(name) === tail) tails.delete(name);
  });
  return run;
}
