import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core';
import { apiKeyAuth } from '@keyward/express';
import express from 'express';
import { createConsole, type KeywardConsole } from '../src/index.js';

/** Debian's Chromium, or CHROMIUM_PATH. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Browser tests run wherever Chromium is; under CI=true a missing Chromium is a failure. */
export const HAS_CHROMIUM = existsSync(CHROMIUM);
export const MUST_RUN = process.env['CI'] === 'true';

export interface DemoApp {
  readonly url: string;
  readonly keyward: Keyward;
  readonly console: KeywardConsole;
  readonly admin: { key: string; id: string };
  close(): Promise<void>;
}

/**
 * An Express API (`GET /hello` needs `hello:read`) with the console at `/keyward` and an admin
 * key, on 127.0.0.1.
 */
export async function startDemo(
  keyward: Keyward = createKeyward({
    prefix: 'demo',
    environments: ['live', 'test'],
    store: new MemoryStore(),
    usage: { flushIntervalMs: 60_000 },
    alerts: { onAlert: () => {} },
  }),
): Promise<DemoApp> {
  const admin = await keyward.create({ name: 'console admin', scopes: ['keyward:admin'] });
  const keywardConsole = createConsole(keyward, { basePath: '/keyward' });
  const app = express();
  app.use(keywardConsole.toNodeHandler());
  app.get('/hello', apiKeyAuth(keyward, { scopes: ['hello:read'] }), (_req, res) => {
    res.json({ hello: 'world' });
  });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    keyward,
    console: keywardConsole,
    admin: { key: admin.key, id: admin.record.id },
    close: async () => {
      keywardConsole.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await keyward.close();
    },
  };
}
