import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { REDIS_URL, redisAvailable } from '../../test-support/services.js';

const run = promisify(execFile);
const server = fileURLToPath(new URL('./server.mjs', import.meta.url));
const built = ['core', 'express', 'redis'].every((name) =>
  existsSync(fileURLToPath(new URL(`../../packages/${name}/dist/index.js`, import.meta.url))),
);

describe.skipIf(!(await redisAvailable()))(
  'multi-instance example (two processes, one Redis)',
  () => {
    it('holds one limit across both processes, revokes in both at once, and cleans up', async () => {
      if (!built) throw new Error('build the packages first: npx pnpm@10 build');
      const { stdout, stderr } = await run(process.execPath, [server], {
        env: { ...process.env, EXAMPLE_EXIT: '1', PORT: '0', REDIS_URL },
        timeout: 50_000,
        killSignal: 'SIGKILL',
      });
      expect(stderr).toBe('');
      // 20 requests alternating A and B against capacity 10: the first 10 pass, the rest get 429.
      const rows = stdout.match(/^ {2}#\d+-\d+: .*$/gm) ?? [];
      expect(rows).toHaveLength(10);
      expect(rows.slice(0, 5).every((row) => /A 200 .*B 200 /.test(row))).toBe(true);
      expect(
        rows.slice(5).every((row) => row.endsWith('A 429 rate_limited, B 429 rate_limited')),
      ).toBe(true);
      expect(stdout).toContain('Result: 10 allowed, 10 rate limited');
      expect(stdout).toMatch(/A 200, B 200 \(both now hold it/);
      expect(stdout).toMatch(/B answered 401 revoked_key [\d.]+ ms later/);
      expect(stdout).toContain(
        'Checks: shared limit held, revocation reached B before its 30 s cache expired yes',
      );
      expect(stdout).not.toMatch(/acme_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}/);

      // The run deleted its own keys (its unique prefix) from Redis.
      const prefix = stdout.match(/under "(kwex[0-9a-f]{8})"/)?.[1];
      expect(prefix).toBeDefined();
      const client = new Redis(REDIS_URL);
      try {
        const left: string[] = [];
        let cursor = '0';
        for (let round = 0; round < 1_000; round++) {
          const [next, keys] = await client.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1_000);
          left.push(...keys);
          cursor = next;
          if (cursor === '0') break;
        }
        expect(left).toStrictEqual([]);
      } finally {
        await client.quit();
      }
    });
  },
);
