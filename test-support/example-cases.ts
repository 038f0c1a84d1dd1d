/**
 * The routes every small example server serves (`/` open, `/items` for the read key, `/admin/stats`
 * for the admin key, which is limited to this machine), checked over real HTTP.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';

export interface RunningExampleServer {
  readonly url: string;
  readonly readKey: string;
  readonly adminKey: string;
  close(): Promise<void>;
}

/**
 * Registers the example route cases (inside the caller's `describe`) against the server `start`
 * runs.
 *
 * @example
 * ```ts
 * describe('Bun example', () => describeExampleRoutes(() => startExample(bun, ['run', 'server.ts'], here)));
 * ```
 */
export function describeExampleRoutes(start: () => Promise<RunningExampleServer>): void {
  let example: RunningExampleServer;
  beforeAll(async () => {
    example = await start();
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
    // The admin key is limited to loopback: this passes only if the runtime's client address
    // reached keyward.
    expect(await get('/admin/stats', example.adminKey)).toMatchObject({ status: 200 });
  });

  it('refuses a request without a key', async () => {
    expect(await get('/items')).toMatchObject({ status: 401, code: 'missing_key' });
  });
}
