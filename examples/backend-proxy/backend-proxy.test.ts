import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExample, start } from './server.mjs';

const run = promisify(execFile);
const server = fileURLToPath(new URL('./server.mjs', import.meta.url));
const built = ['core', 'express'].every((name) =>
  existsSync(fileURLToPath(new URL(`../../packages/${name}/dist/index.js`, import.meta.url))),
);

describe('backend proxy', () => {
  let example: RunningExample;
  let key: string;
  beforeAll(async () => {
    example = await start({ port: 0, upstreamPort: 0, host: '127.0.0.1' });
    key = example.upstream.issued.key;
  });
  afterAll(() => example?.close());

  /** A browser-side call to the proxy: everything the browser can see, as text. */
  const browserGet = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${example.proxyUrl}${path}`, { headers });
    const headerText = [...res.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
    return { status: res.status, headers: res.headers, headerText, body: await res.text() };
  };
  const leaks = (text: string) => {
    const secret = key.slice(key.lastIndexOf('_') + 1);
    return text.includes(key) || text.includes(secret);
  };

  it('forwards with the server-side key and returns only the forecast', async () => {
    const before = example.upstream.acceptedKeyIds.length;
    const res = await browserGet('/api/weather?city=Paris');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toStrictEqual({
      city: 'Paris',
      temperatureC: 18,
      conditions: 'cloudy',
    });
    expect(example.upstream.acceptedKeyIds.slice(before)).toStrictEqual([
      example.upstream.issued.record.id,
    ]);
    expect(leaks(res.headerText) || leaks(res.body)).toBe(false);
    for (const name of ['ratelimit', 'ratelimit-policy', 'x-upstream-account', 'x-powered-by']) {
      expect(res.headers.has(name), name).toBe(false);
    }
  });

  it("ignores the browser's own Authorization and X-API-Key, even a valid key", async () => {
    const other = await example.upstream.keyward.create({
      name: 'a key the browser holds',
      environment: 'live',
      scopes: ['weather:read'],
    });
    const before = example.upstream.acceptedKeyIds.length;
    const res = await browserGet('/api/weather?city=Lima', {
      authorization: `Bearer ${other.key}`,
      'x-api-key': other.key,
    });
    expect(res.status).toBe(200);
    expect(example.upstream.acceptedKeyIds.slice(before)).toStrictEqual([
      example.upstream.issued.record.id,
    ]);
    expect(leaks(res.headerText) || leaks(res.body)).toBe(false);
  });

  it('drops upstream error bodies that echo the key', async () => {
    const direct = await fetch(`${example.upstream.url}/weather?city=Atlantis`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(direct.status).toBe(404);
    expect(leaks(await direct.text())).toBe(true); // the hazard is real: the upstream echoes it

    const res = await browserGet('/api/weather?city=Atlantis');
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toStrictEqual({ error: 'unknown_city' });
    expect(leaks(res.headerText) || leaks(res.body)).toBe(false);
  });

  it('refuses bad input without calling upstream', async () => {
    const before = example.upstream.acceptedKeyIds.length;
    const res = await browserGet('/api/weather?city=Paris%26admin%3D1');
    expect(res.status).toBe(400);
    expect(example.upstream.acceptedKeyIds.length).toBe(before);
  });

  it('leaves the upstream closed to a client without the key', async () => {
    const res = await fetch(`${example.upstream.url}/weather?city=Paris`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code?: string }).code).toBe('missing_key');
  });

  it('runs its walk-through with one command and exits', async () => {
    if (!built) throw new Error('build the packages first: npx pnpm@10 build');
    const { stdout, stderr } = await run(process.execPath, [server], {
      env: { ...process.env, EXAMPLE_EXIT: '1', PORT: '0', UPSTREAM_PORT: '0' },
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    expect(stderr).toBe('');
    expect(stdout).toMatch(/browser → proxy: 200 \{"city":"Paris"/);
    expect(stdout).toContain('browser → proxy, unknown city: 404 {"error":"unknown_city"}');
    expect(stdout).toMatch(/directly, no key: 401 .*"code":"missing_key"/);
    expect(stdout).toMatch(/accepted 3 requests, all with key [0-9A-Za-z]{12}\n/);
    expect(stdout).not.toMatch(/wthr_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}/);
  });
});
