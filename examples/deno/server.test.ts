import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ExampleProcess,
  runtimeBinary,
  startExample,
} from '../../test-support/runtimes/example-process.js';

const here = fileURLToPath(new URL('.', import.meta.url));

describe('Deno example (run on Deno, against the built packages)', () => {
  let example: ExampleProcess;
  beforeAll(async () => {
    example = await startExample(
      runtimeBinary('deno'),
      ['run', '--allow-net', '--allow-env', '--node-modules-dir=manual', 'server.ts'],
      here,
    );
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

  it('refuses the admin route to the read key, and serves it to the admin key from this machine', async () => {
    expect(await get('/admin/stats', example.readKey)).toMatchObject({
      status: 403,
      code: 'insufficient_scope',
    });
    // The admin key is limited to 127.0.0.1 and ::1: this passes only if Deno told keyward the
    // client address.
    expect(await get('/admin/stats', example.adminKey)).toMatchObject({ status: 200 });
  });

  it('refuses a request without a key', async () => {
    expect(await get('/items')).toMatchObject({ status: 401, code: 'missing_key' });
  });
});
