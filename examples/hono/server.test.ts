import { createKeyward, MemoryStore } from '@keyward/core';
import { getConnInfo } from 'hono/cloudflare-workers';
import { describe, expect, it } from 'vitest';
import { expectConsoleMounted } from '../../test-support/console-example.js';
import { describeExampleRoutes } from '../../test-support/example-cases.js';
import { createApp, start } from './server.mjs';

describe('Hono example (on Node)', () => {
  describeExampleRoutes(() => start({ port: 0, host: '127.0.0.1' }));

  it('runs as a Worker would: the same app, the IP from CF-Connecting-IP', async () => {
    const keyward = createKeyward({ prefix: 'demo', store: new MemoryStore() });
    const { key } = await keyward.create({
      name: 'worker',
      environment: 'test',
      scopes: ['items:*'],
      ips: ['198.51.100.0/24'],
    });
    const app = createApp(keyward, { getConnInfo });
    const call = (ip: string) =>
      app.request('/admin/stats', { headers: { 'x-api-key': key, 'cf-connecting-ip': ip } });
    expect((await call('198.51.100.7')).status).toBe(200);
    expect((await call('203.0.113.7')).status).toBe(403);
  });

  it('mounts the console at /keyward/ for the console admin key only', async () => {
    const example = await start({ port: 0, host: '127.0.0.1' });
    try {
      await expectConsoleMounted(example.url, example.consoleKey, example.readKey);
    } finally {
      await example.close();
    }
  });
});
