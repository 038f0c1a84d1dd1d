import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { start, walkThrough } from './server.js';

const run = promisify(execFile);
const server = fileURLToPath(new URL('./server.ts', import.meta.url));
const expected = [
  'request 1: 200 ok',
  'request 2: 200 ok',
  'request 3: 200 ok',
  'request 4: 429 rate_limited',
  'after revoke: 401 revoked_key',
];

describe('custom-store example server', () => {
  it('serves, rate-limits and revokes through MapStore', async () => {
    const example = await start({ port: 0, host: '127.0.0.1' });
    try {
      expect(await walkThrough(example)).toStrictEqual(expected);
    } finally {
      await example.close();
    }
  });

  it('runs its walk-through with one command and exits', async () => {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', server], {
      env: { ...process.env, EXAMPLE_EXIT: '1', PORT: '0' },
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    expect(stderr).toBe('');
    for (const line of expected) expect(stdout).toContain(line);
    expect(stdout).not.toMatch(/acme_test_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}/);
  });
});
