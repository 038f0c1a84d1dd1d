import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';

import { IN_CI } from '../../../test-support/services.js';

export { REDIS_URL, redisAvailable } from '../../../test-support/services.js';

/** Whether `redis-server` can be started here: skips locally when missing, fails under CI. */
export function redisServerOnPath(): boolean {
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (found) return true;
  if (IN_CI) throw new Error('redis-server is not on PATH (CI=true: failing instead of skipping)');
  console.warn('skipping Redis restart tests: redis-server is not on PATH');
  return false;
}

/** A key prefix no other test run uses. */
export function uniquePrefix(label: string): string {
  return `kwtest:${label}:${randomBytes(6).toString('hex')}`;
}

/** A client for tests: retries quickly and never logs its errors. */
export function testClient(url: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, { retryStrategy: () => 100, ...options });
  client.on('error', () => {});
  return client;
}

/** Deletes every key a RedisStore with this prefix may have written. */
export async function deletePrefix(client: Redis, prefix: string): Promise<void> {
  for (const pattern of [`${prefix}:*`, `{${prefix}:keys}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on (right now). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `condition` every 25 ms (running `tick` first each time, e.g. to publish a probe) until
 * it holds or `timeoutMs` passes; returns whether it held.
 */
export async function waitFor(
  condition: () => boolean,
  timeoutMs: number,
  tick?: () => unknown,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (tick !== undefined)
      await Promise.resolve()
        .then(tick)
        .catch(() => {});
    if (condition()) return true;
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
}

/** A throwaway `redis-server` on 127.0.0.1, restartable on the same port with its data (SAVE). */
export class ThrowawayRedis {
  readonly dir = mkdtempSync(join(tmpdir(), 'keyward-redis-'));
  #process: ChildProcess | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { cwd: this.dir, stdio: 'ignore' },
    );
    this.#process = child;
    const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      const deadline = Date.now() + 5000;
      for (;;) {
        try {
          await probe.connect();
          await probe.ping();
          return;
        } catch (error) {
          if (Date.now() > deadline || child.exitCode !== null) throw error;
          await sleep(50);
        }
      }
    } finally {
      probe.disconnect();
    }
  }

  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
