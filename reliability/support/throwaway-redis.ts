import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { IN_CI } from '../../test-support/services.js';
import { sleep } from './wait.js';

/**
 * Whether `redis-server` can be started here. Missing: locally the caller skips (with a message
 * saying why); under CI it throws, so a missing binary can never turn into a silent green.
 *
 * @example
 * ```ts
 * describe.skipIf(!redisServerOnPath())('Redis restarted mid-load', () => { … });
 * ```
 */
export function redisServerOnPath(): boolean {
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (found) return true;
  if (IN_CI) throw new Error('redis-server is not on PATH (CI=true: failing instead of skipping)');
  console.warn('skipping Redis restart tests: redis-server is not on PATH');
  return false;
}

/**
 * A `redis-server` of the test's own on 127.0.0.1, without persistence, that can be killed and
 * started again on the same port. `dispose()` (call it in `afterAll`/`finally`) always kills it.
 *
 * @example
 * ```ts
 * const redis = new ThrowawayRedis(await freePort());
 * await redis.start();
 * await redis.kill();   // SIGKILL: an abrupt outage
 * await redis.start();  // same port, empty data
 * await redis.dispose();
 * ```
 */
export class ThrowawayRedis {
  #process: ChildProcess | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server and resolves once it answers PING (within 5 s). */
  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
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

  /** SIGKILLs the server (no shutdown, no goodbye to clients) and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  dispose(): Promise<void> {
    return this.kill();
  }
}
