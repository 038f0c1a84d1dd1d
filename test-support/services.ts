// Shared by tests that need a real Redis or PostgreSQL. Locally, a service that is down makes
// those tests skip with a message saying why; under CI (CI=true) they fail instead, so a missing
// service can never turn into a silent green.
import { Socket } from 'node:net';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port || defaultPort), hostname || '127.0.0.1', () => done(true));
  });
}

/**
 * Resolves to true when the service answers. When it does not: under CI it throws (the suite
 * fails); locally it prints why and resolves to false so the caller can skip.
 */
export async function serviceAvailable(name: 'redis' | 'postgres'): Promise<boolean> {
  const url = name === 'redis' ? REDIS_URL : DATABASE_URL;
  const ok = await reachable(url, name === 'redis' ? 6379 : 5432);
  if (ok) return true;
  const message = `${name} is not reachable at ${url.replace(/\/\/[^@]*@/, '//')}`;
  if (IN_CI) throw new Error(`${message} (CI=true: failing instead of skipping)`);
  console.warn(`skipping ${name} tests: ${message}`);
  return false;
}

/** For `describe.skipIf(...)`: top-level await in a test file. */
export const redisAvailable = () => serviceAvailable('redis');
export const postgresAvailable = () => serviceAvailable('postgres');
