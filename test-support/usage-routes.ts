// For the adapters' route tests: a keyward on a MemoryStore with usage on, and the routes its
// usage recorded for a key (what `keyward.usage({ groupBy: 'route' })` reports).
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core';

/** A keyward that records usage (flushed by hand) and one key to send. */
export async function usageKeyward(): Promise<{ keyward: Keyward; key: string; keyId: string }> {
  const keyward = createKeyward({
    prefix: 'acme',
    store: new MemoryStore(),
    failedAttempts: false,
    usage: { flushIntervalMs: 60_000 },
  });
  const { key, record } = await keyward.create({ name: 'routes', environment: 'live' });
  return { keyward, key, keyId: record.id };
}

/** Flushes, then the key's routes (with their counts) over the last hour, busiest first. */
export async function recordedRoutes(
  keyward: Keyward,
  keyId: string,
): Promise<Record<string, number>> {
  await keyward.flush();
  const now = Date.now();
  const { routes } = await keyward.usage({
    keyId,
    from: now - 3_600_000,
    to: now + 60_000,
    groupBy: 'route',
  });
  return Object.fromEntries(routes.map((r) => [r.route, r.total]));
}
