// A keyward process of its own for the cross-process usage tests: its own store client, keyward
// instance, cache and usage counters, sharing only PostgreSQL or Redis with the test. Driven over
// IPC (started with `fork`).
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core';
import { PostgresStore } from '@keyward/postgres';
import { RedisStore } from '@keyward/redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import { formatKey, parseKey } from '../../packages/core/src/key/format.js';

type Command =
  | { type: 'serve'; keys: string[]; requests: number }
  | { type: 'loop'; key: string; batch: number };

const kind = process.env.KW_STORE;
const flushIntervalMs = Number(process.env.KW_FLUSH_MS ?? 200);
let keyward: Keyward;
let release: () => Promise<void>;
if (kind === 'postgres') {
  const pool = new pg.Pool({ connectionString: process.env.KW_URL, max: 2 });
  pool.on('error', () => {});
  keyward = createKeyward({
    prefix: 'acme',
    keyStore: new PostgresStore({ pool, table: process.env.KW_TABLE }),
    limitStore: new MemoryStore(),
    usage: { flushIntervalMs },
  });
  release = () => pool.end();
} else {
  const client = new Redis(process.env.KW_URL ?? 'redis://127.0.0.1:6379');
  client.on('error', () => {});
  const store = new RedisStore({ client, prefix: process.env.KW_PREFIX });
  keyward = createKeyward({
    prefix: 'acme',
    store,
    invalidation: false,
    usage: { flushIntervalMs },
  });
  release = async () => {
    store.close();
    await client.quit();
  };
}
const send = (message: unknown) => process.send?.(message);

/**
 * The same key id with a wrong secret (checksum recomputed): invalid_key, counted under the
 * deployment like an unknown id (never under the key its id names).
 */
function wrongSecret(key: string): string {
  const parsed = parseKey(key, 'acme')!;
  return formatKey('acme', parsed.environment, parsed.id, 'W'.repeat(43));
}

async function serve(keys: string[], requests: number): Promise<void> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < requests; i++) {
    const key = keys[i % keys.length]!;
    const id = parseKey(key, 'acme')!.id;
    let headers: Record<string, string> = { authorization: `Bearer ${key}` };
    let subject = id;
    if (i % 11 === 5) {
      headers = {};
      subject = '';
    } else if (i % 7 === 3) {
      headers = { authorization: `Bearer ${wrongSecret(key)}` };
      subject = '';
    }
    const result = await keyward.verify({
      headers,
      method: 'GET',
      route: i % 2 === 0 ? '/a/:id' : '/b',
    });
    const outcome = result.ok ? 'verified' : result.code;
    counts[`${subject}|${outcome}`] = (counts[`${subject}|${outcome}`] ?? 0) + 1;
  }
  await keyward.close();
  send({ type: 'served', counts });
  await release();
  process.exit(0);
}

/** Resolves once `message` is written to the IPC channel: the parent gets it even if we die next. */
function sendWritten(message: unknown): Promise<void> {
  return new Promise((resolve) => process.send?.(message, undefined, undefined, () => resolve()));
}

/**
 * Verifies in batches: announces a batch before serving it, reports after flushing it; runs until
 * killed. So the parent knows bounds: what was flushed, and the most that was served.
 */
async function loop(key: string, batch: number): Promise<void> {
  let total = 0;
  for (;;) {
    await sendWritten({ type: 'serving', upTo: total + batch });
    for (let i = 0; i < batch; i++)
      await keyward.verify({ headers: { authorization: `Bearer ${key}` } });
    total += batch;
    await keyward.flush();
    await sendWritten({ type: 'flushed', total });
  }
}

process.on('message', (command: Command) => {
  if (command.type === 'serve') void serve(command.keys, command.requests);
  else void loop(command.key, command.batch);
});
send({ type: 'ready' });
