// An Express API whose keys and rate limits live in MapStore, the store written in map-store.ts.
//
// Run: node --import tsx examples/custom-store/server.ts     (PORT from the environment)
//      EXAMPLE_EXIT=1 node --import tsx examples/custom-store/server.ts   walks through and exits
// Inside this repository tsx applies the root tsconfig's `paths`, so @keyward/* resolve to their
// sources; in your project they resolve to the installed packages.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createKeyward } from '@keyward/core';
import { apiKeyAuth } from '@keyward/express';
import express from 'express';
import { MapStore } from './map-store.js';

/** The running example: its URL, one key, the keyward instance and a way to stop it. */
export interface RunningExample {
  readonly url: string;
  readonly key: string;
  readonly keyId: string;
  readonly keyward: ReturnType<typeof createKeyward>;
  close(): Promise<void>;
}

/**
 * Builds the API on a MapStore, issues a key allowed 3 requests in a burst (then one a minute),
 * and listens.
 *
 * @example
 * ```ts
 * const { url, key, close } = await start({ port: 0 });
 * ```
 */
export async function start({
  port = Number(process.env['PORT'] ?? 3000),
  host = process.env['HOST'] ?? '127.0.0.1',
} = {}): Promise<RunningExample> {
  const keyward = createKeyward({ prefix: 'acme', store: new MapStore({ delayMs: 2 }) });
  const { key, record } = await keyward.create({
    name: 'custom store demo',
    environment: 'test',
    scopes: ['reports:read'],
    // One token a minute, so request 4 of the walk-through is refused even on a loaded machine.
    rateLimit: { capacity: 3, refillPerSecond: 1 / 60 },
  });

  const app = express();
  app.get('/reports', apiKeyAuth(keyward, { scopes: ['reports:read'] }), (req, res) => {
    res.json({ reports: ['q1', 'q2'], keyId: req.apiKey?.id });
  });

  const server = app.listen(port, host);
  await once(server, 'listening');
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    key,
    keyId: record.id,
    keyward,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Spends the key's burst of 3, is rate limited, then revokes the key; one line per step.
 *
 * @example
 * ```ts
 * for (const line of await walkThrough(await start({ port: 0 }))) console.log(line);
 * ```
 */
export async function walkThrough({ url, key, keyId, keyward }: RunningExample): Promise<string[]> {
  const lines: string[] = [];
  const get = async (label: string) => {
    const res = await fetch(`${url}/reports`, { headers: { authorization: `Bearer ${key}` } });
    const body = (await res.json()) as { code?: string };
    lines.push(`${label}: ${res.status} ${body.code ?? 'ok'}`);
  };
  for (let i = 1; i <= 4; i++) await get(`request ${i}`);
  await keyward.revoke(keyId, { reason: 'walk-through' });
  await get('after revoke');
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const example = await start();
  console.log(`Custom-store example listening on ${example.url}
Keys and limits live in MapStore (map-store.ts): a Map behind a 2 ms async delay.
Key ${example.keyId} may make 3 requests in a burst, then one a minute.
`);
  for (const line of await walkThrough(example)) console.log(`  ${line}`);
  if (process.env['EXAMPLE_EXIT'] === '1') {
    await example.close();
  } else {
    const fresh = await example.keyward.create({
      name: 'playground',
      environment: 'test',
      scopes: ['reports:read'],
      rateLimit: { capacity: 3, refillPerSecond: 0.5 },
    });
    console.log(`
A fresh key for you to try (in memory, for this run only):
  curl -i -H "Authorization: Bearer ${fresh.key}" ${example.url}/reports`);
  }
}
