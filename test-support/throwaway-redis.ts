// A redis-server of the test's own, for outage tests: killed and started again on one port.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { IN_CI } from './services.js';
import { sleep } from './wait.js';

/** Whether `redis-server` can be started here: skips locally when missing, fails under CI. */
export function redisServerOnPath(): boolean {
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (found) return true;
  if (IN_CI) throw new Error('redis-server is not on PATH (CI=true: failing instead of skipping)');
  console.warn('skipping Redis restart tests: redis-server is not on PATH');
  return false;
}

/**
 * A throwaway `redis-server` on 127.0.0.1 without persistence (an explicit SAVE writes into its
 * own temp dir, so a restart on the same port can come back with the data). `stop()` SIGKILLs it:
 * an abrupt outage. `dispose()` (call it in `afterAll`/`finally`) kills it and removes the dir.
 */
export class ThrowawayRedis {
  readonly dir = mkdtempSync(join(tmpdir(), 'keyward-redis-'));
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

  /** SIGKILLs the server (no shutdown, no goodbye to clients) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
