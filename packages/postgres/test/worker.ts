// A keyward process of its own for the multi-process invalidation tests: its own pool, store,
// instances and caches, sharing only PostgreSQL with the test. Driven over IPC (started with
// `fork`); reports every invalidation its store relays.
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core';
import pg from 'pg';
import { PostgresStore } from '../src/index.js';

type Command = { type: 'verify'; key: string } | { type: 'exit' };

const pool = new pg.Pool({
  connectionString: process.env.KW_DATABASE_URL,
  max: 2,
  application_name: process.env.KW_APPLICATION_NAME,
});
pool.on('error', () => {});
const store = new PostgresStore({ pool, table: process.env.KW_TABLE });
const cache = { ttlMs: 600_000 };
const options = { prefix: 'acme', keyStore: store, limitStore: new MemoryStore(), cache };
const subscribed = createKeyward(options);
const unsubscribed = createKeyward({ ...options, invalidation: false });
const send = (message: unknown) => process.send?.(message);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function code(keyward: Keyward, key: string): Promise<string> {
  const result = await keyward.verify({ headers: { authorization: `Bearer ${key}` } });
  return result.ok ? 'ok' : result.code;
}

process.on('message', (command: Command) => {
  if (command.type === 'verify') {
    void Promise.all([code(subscribed, command.key), code(unsubscribed, command.key)]).then(
      ([withInvalidation, withoutInvalidation]) =>
        send({ type: 'verified', withInvalidation, withoutInvalidation }),
    );
  }
  if (command.type === 'exit') {
    subscribed.close();
    store.close();
    void pool.end().finally(() => process.disconnect?.());
  }
});

// Ready once this process's LISTEN connection receives its own probe.
let probed = false;
store.subscribeInvalidations((id) => {
  if (id === `probe-${process.pid}`) probed = true;
  else send({ type: 'invalidation', id: id ?? null, at: Date.now() });
});
for (let i = 0; i < 400 && !probed; i++) {
  await store.publishInvalidation(`probe-${process.pid}`).catch(() => {});
  await sleep(25);
}
send({ type: probed ? 'ready' : 'failed' });
