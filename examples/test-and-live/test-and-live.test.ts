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

describe('test and live deployments', () => {
  let example: RunningExample;
  beforeAll(async () => {
    example = await start({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => example?.close());

  const call = async (deployment: 'live' | 'sandbox', key: string) => {
    const res = await fetch(`${example.url}/${deployment}/orders`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const body = (await res.json()) as Record<string, unknown>;
    return { status: res.status, code: body['code'], environment: body['environment'] };
  };

  it('issues keys that name their environment', () => {
    expect(example.liveKey).toMatch(/^acme_live_/);
    expect(example.testKey).toMatch(/^acme_test_/);
  });

  it('accepts a live key on the live deployment and a test key on the sandbox', async () => {
    expect(await call('live', example.liveKey)).toEqual({
      status: 200,
      code: undefined,
      environment: 'live',
    });
    expect(await call('sandbox', example.testKey)).toEqual({
      status: 200,
      code: undefined,
      environment: 'test',
    });
  });

  it('refuses a test key on the live deployment with wrong_environment', async () => {
    expect(await call('live', example.testKey)).toMatchObject({
      status: 401,
      code: 'wrong_environment',
    });
  });

  it('refuses a live key on the sandbox with wrong_environment', async () => {
    expect(await call('sandbox', example.liveKey)).toMatchObject({
      status: 401,
      code: 'wrong_environment',
    });
  });

  it('runs its walk-through with one command and exits', async () => {
    if (!built) throw new Error('build the packages first: npx pnpm@10 build');
    const { stdout, stderr } = await run(process.execPath, [server], {
      env: { ...process.env, EXAMPLE_EXIT: '1', PORT: '0' },
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    expect(stderr).toBe('');
    expect(stdout).toContain('live key → /live/orders: 200 ok');
    expect(stdout).toContain('live key → /sandbox/orders: 401 wrong_environment');
    expect(stdout).toContain('test key → /live/orders: 401 wrong_environment');
    expect(stdout).toContain('test key → /sandbox/orders: 200 ok');
    expect(stdout).not.toMatch(/acme_(live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}/);
  });
});
