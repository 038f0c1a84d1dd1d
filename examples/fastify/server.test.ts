import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectConsoleMounted } from '../../test-support/console-example.js';
import { type RunningExample, start } from './server.mjs';

describe('Fastify example', () => {
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
    return { status: res.status, code: body['code'] };
  };

  it('serves the open route without a key', async () => {
    expect(await get('/')).toEqual({ status: 200, code: undefined });
  });

  it('serves the read-scoped route to the read key', async () => {
    expect(await get('/items', example.readKey)).toEqual({ status: 200, code: undefined });
  });

  it('refuses the admin route to the read key, and serves it to the admin key', async () => {
    expect(await get('/admin/stats', example.readKey)).toEqual({
      status: 403,
      code: 'insufficient_scope',
    });
    expect(await get('/admin/stats', example.adminKey)).toEqual({ status: 200, code: undefined });
  });

  it('refuses a request without a key', async () => {
    expect(await get('/items')).toEqual({ status: 401, code: 'missing_key' });
  });

  it('mounts the console at /keyward/ for the console admin key only', async () => {
    await expectConsoleMounted(example.url, example.consoleKey, example.readKey);
  });
});
