import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, postgresAvailable } from '../../../test-support/services.js';
import { sleep } from '../../../test-support/wait.js';
import { PostgresStore } from '../src/index.js';
import { migratedTable, uniqueTable } from './pg-fixture.js';

const available = await postgresAvailable();
const root = fileURLToPath(new URL('../../../', import.meta.url));
const workerPath = fileURLToPath(new URL('./worker.ts', import.meta.url));

type Message = Record<string, unknown> & { type: string };

interface Worker {
  child: ChildProcess;
  /** The next message of this type, waiting at most `timeoutMs`. */
  next(type: string, timeoutMs?: number): Promise<Message>;
}

function startWorker(table: string, applicationName: string): Worker {
  const child = fork(workerPath, {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      TSX_TSCONFIG_PATH: `${root}tsconfig.json`,
      KW_DATABASE_URL: DATABASE_URL,
      KW_TABLE: table,
      KW_APPLICATION_NAME: applicationName,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: Message[] = [];
  const waiting: { type: string; resolve: (message: Message) => void }[] = [];
  child.on('message', (raw) => {
    const message = raw as Message;
    const index = waiting.findIndex((w) => w.type === message.type);
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(message);
    else inbox.push(message);
  });
  return {
    child,
    next(type, timeoutMs = 15_000) {
      const index = inbox.findIndex((m) => m.type === type);
      if (index >= 0) return Promise.resolve(inbox.splice(index, 1)[0]!);
      return new Promise((resolve, reject) => {
        const entry = { type, resolve };
        waiting.push(entry);
        setTimeout(() => {
          const at = waiting.indexOf(entry);
          if (at < 0) return;
          waiting.splice(at, 1);
          reject(new Error(`no ${type} message from the worker within ${timeoutMs} ms`));
        }, timeoutMs).unref();
      });
    },
  };
}

describe.skipIf(!available)('PostgresStore invalidation across processes', () => {
  const applicationName = uniqueTable('kw_worker');
  let fixture: Awaited<ReturnType<typeof migratedTable>>;
  let store: PostgresStore;
  let keyward: Keyward;
  let worker: Worker;

  beforeAll(async () => {
    fixture = await migratedTable();
    store = new PostgresStore({ pool: fixture.pool, table: fixture.table });
    keyward = createKeyward({ prefix: 'acme', keyStore: store, limitStore: new MemoryStore() });
    worker = startWorker(fixture.table, applicationName);
    await worker.next('ready', 30_000);
  }, 40_000);

  afterAll(async () => {
    if (worker?.child.connected) worker.child.send({ type: 'exit' });
    await sleep(200);
    worker?.child.kill();
    await keyward?.close();
    store?.close();
    await fixture?.dispose();
  });

  async function verifyInWorker(key: string) {
    worker.child.send({ type: 'verify', key });
    return (await worker.next('verified')) as Message & {
      withInvalidation: string;
      withoutInvalidation: string;
    };
  }

  /**
   * Revokes a key the worker has cached; resolves to the ms until the worker refuses it. Waits up
   * to 10 s (UPDATE, commit and NOTIFY on a loaded machine can stall for seconds): the worker's
   * cache keeps records for 600 s, so only the notification can make it refuse the key, which the
   * worker's instance without the channel, still answering ok from its cache, proves.
   */
  async function revokeAndTime(): Promise<number> {
    const { key, record } = await keyward.create({ name: 'fan-out', environment: 'live' });
    expect(await verifyInWorker(key)).toMatchObject({
      withInvalidation: 'ok',
      withoutInvalidation: 'ok',
    });
    const started = Date.now();
    await keyward.revoke(record.id, { reason: 'test' });
    let seen = await verifyInWorker(key);
    while (seen.withInvalidation !== 'revoked_key' && Date.now() - started < 10_000) {
      await sleep(10);
      seen = await verifyInWorker(key);
    }
    const elapsed = Date.now() - started;
    expect(seen.withInvalidation).toBe('revoked_key');
    // The worker's instance without the channel still serves its cached copy.
    expect(seen.withoutInvalidation).toBe('ok');
    return elapsed;
  }

  it('a revocation in this process reaches the other through NOTIFY, not the cache TTL', async () => {
    const elapsed = await revokeAndTime();
    console.info(`postgres fan-out: revoked key refused by the other process after ${elapsed} ms`);
  }, 30_000);

  it('recovers by itself after pg_terminate_backend kills the LISTEN connection', async () => {
    const pid = worker.child.pid;
    const { rows } = await fixture.pool.query<{ terminated: boolean }>(
      `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
        WHERE application_name = $1 AND query LIKE 'LISTEN %'`,
      [applicationName],
    );
    expect(rows).toStrictEqual([{ terminated: true }]);
    // Told to drop everything once it listens again: notifications in between are lost.
    let invalidation = await worker.next('invalidation', 15_000);
    for (let i = 0; i < 20 && invalidation.id !== null; i++) {
      invalidation = await worker.next('invalidation', 15_000);
    }
    expect(invalidation.id).toBeNull();
    const elapsed = await revokeAndTime();
    console.info(`postgres fan-out after reconnect: refused after ${elapsed} ms`);
    expect(worker.child.pid).toBe(pid);
    expect(worker.child.exitCode).toBeNull();
  }, 40_000);
});
