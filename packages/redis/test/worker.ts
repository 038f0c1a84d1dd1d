// A keyward process of its own for the multi-process tests: its own client, store, instances and
// caches, sharing only Redis with the test. Driven over IPC (started with `fork`).
import { createKeyward, type Keyward } from '@keyward/core';
import { Redis } from 'ioredis';
import { RedisStore } from '../src/index.js';

type Command =
  | { type: 'hammer'; key: string; startAt: number; durationMs: number; concurrency: number }
  | { type: 'verify'; key: string }
  | { type: 'exit' };

const client = new Redis(process.env.KW_REDIS_URL ?? 'redis://127.0.0.1:6379');
client.on('error', () => {});
const store = new RedisStore({
  client,
  prefix: process.env.KW_STORE_PREFIX,
  channel: process.env.KW_CHANNEL,
});
const subscribed = createKeyward({ prefix: 'acme', store });
const unsubscribed = createKeyward({ prefix: 'acme', store, invalidation: false });
const send = (message: unknown) => process.send?.(message);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function code(keyward: Keyward, key: string): Promise<string> {
  const result = await keyward.verify({ headers: { authorization: `Bearer ${key}` } });
  return result.ok ? 'ok' : result.code;
}

async function hammer(command: Extract<Command, { type: 'hammer' }>): Promise<void> {
  const counts: Record<string, number> = {};
  await sleep(Math.max(0, command.startAt - Date.now()));
  const firstAt = Date.now();
  const endAt = firstAt + command.durationMs;
  let lastAt = firstAt;
  await Promise.all(
    Array.from({ length: command.concurrency }, async () => {
      while (Date.now() < endAt) {
        const outcome = await code(subscribed, command.key);
        counts[outcome] = (counts[outcome] ?? 0) + 1;
        lastAt = Math.max(lastAt, Date.now());
      }
    }),
  );
  send({ type: 'hammered', counts, firstAt, lastAt });
}

process.on('message', (command: Command) => {
  if (command.type === 'hammer') void hammer(command);
  if (command.type === 'verify') {
    void Promise.all([code(subscribed, command.key), code(unsubscribed, command.key)]).then(
      ([withInvalidation, withoutInvalidation]) =>
        send({ type: 'verified', withInvalidation, withoutInvalidation }),
    );
  }
  if (command.type === 'exit') {
    subscribed.close();
    store.close();
    client.disconnect();
    process.disconnect?.();
  }
});

// Ready once this process's subscriber connection receives its own probe.
let probed = false;
const stopProbe = store.subscribeInvalidations((id) => {
  if (id === `probe-${process.pid}`) probed = true;
});
for (let i = 0; i < 200 && !probed; i++) {
  await store.publishInvalidation(`probe-${process.pid}`).catch(() => {});
  await sleep(25);
}
stopProbe();
send({ type: probed ? 'ready' : 'failed' });
