import { createKeyward, MemoryStore } from '@keyward/core';
import { getConnInfo } from 'hono/cloudflare-workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type RunningExample, start } from './server.mjs';

describe('Hono example', () => {
  let example: RunningExample;
  beforeAll(async () => {
    example = await start({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => example?.close());

  const get = async (path: string, key?: string) => {
    const res = await fetch(`${example.url}${path}`, {
      headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
    });
    const body = (await res.json()) as Record<string, unknown>;
    return { status: res.status, code: body['code'], ratelimit: res.headers.get('ratelimit') };
  };

  it('serves the open route without a key', async () => {
    expect(await get('/')).toMatchObject({ status: 200, code: undefined });
  });

  it('serves the read-scoped route to the read key, with its rate-limit headers', async () => {
    const reply = await get('/items', example.readKey);
    expect(reply).toMatchObject({ status: 200, code: undefined });
    expect(reply.ratelimit).toMatch(/^"key";r=\d+;t=\d+$/);
  });

  it('refuses the admin routes to the read key, and serves them to the admin key from this machine', async () => {
    expect(await get('/admin/stats', example.readKey)).toMatchObject({
      status: 403,
      code: 'insufficient_scope',
    });
    expect(await get('/admin/stats', example.adminKey)).toMatchObject({ status: 200 });
  });

  it('refuses a request without a key', async () => {
    expect(await get('/items')).toMatchObject({ status: 401, code: 'missing_key' });
  });

  it('runs as a Worker would: the same app, the IP from CF-Connecting-IP', async () => {
    const keyward = createKeyward({ prefix: 'demo', store: new MemoryStore() });
    const { key } = await keyward.create({
      name: 'w',
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
});
