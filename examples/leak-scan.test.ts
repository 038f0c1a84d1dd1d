// Leak scan (security suite): run the demo and the walk-through examples with logging on, then
// `keyward scan` (the built CLI) their output and the repository. No key may be found.
// The express/koa/fastify examples print the keys they issue on purpose (curl lines for a person
// at a terminal), so they are not part of the output scan; their walk-throughs print nothing else.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, redisAvailable } from '../test-support/services.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'packages/cli/dist/bin.js');
const work = mkdtempSync(join(tmpdir(), 'keyward-leak-scan-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const KEY_SHAPE = /[a-z][a-z0-9]{1,15}_(?:live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}/;

interface Walkthrough {
  readonly name: string;
  readonly args: string[];
  readonly needsRedis?: boolean;
}

const walkthroughs: Walkthrough[] = [
  { name: 'demo', args: ['examples/demo/demo.mjs'] },
  { name: 'backend-proxy', args: ['examples/backend-proxy/server.mjs'] },
  { name: 'test-and-live', args: ['examples/test-and-live/server.mjs'] },
  { name: 'custom-store', args: ['--import', 'tsx', 'examples/custom-store/server.ts'] },
  { name: 'multi-instance', args: ['examples/multi-instance/server.mjs'], needsRedis: true },
];

async function scan(paths: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, 'scan', ...paths], {
      cwd: root,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('leak scan', () => {
  it('the scanner finds a planted key (so a clean result means something)', async () => {
    if (!existsSync(cli)) throw new Error('build the packages first: npx pnpm@10 build');
    const { stdout } = await run(
      process.execPath,
      [cli, 'create', '--prefix', 'leak', '--name', 'planted'],
      {
        cwd: work,
        env: { ...process.env, KEYWARD_DB: join(work, 'planted.db') },
      },
    );
    const planted = KEY_SHAPE.exec(stdout)?.[0];
    expect(planted).toBeDefined();
    writeFileSync(join(work, 'planted.log'), `request with ${planted} failed\n`);
    const result = await scan([join(work, 'planted.log')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('planted.log:1:');
    expect(result.stdout + result.stderr).not.toContain(planted!);
  });

  for (const walkthrough of walkthroughs) {
    it(`finds no key in the output of the ${walkthrough.name} walk-through`, async (context) => {
      if (walkthrough.needsRedis && !(await redisAvailable())) context.skip();
      const { stdout, stderr } = await run(process.execPath, walkthrough.args, {
        cwd: root,
        env: {
          ...process.env,
          DEMO_EXIT: '1',
          EXAMPLE_EXIT: '1',
          KEYWARD_LOG: '1',
          PORT: '0',
          REDIS_URL,
        },
        timeout: 60_000,
      });
      expect(stdout.length).toBeGreaterThan(0);
      const file = join(work, `${walkthrough.name}.log`);
      writeFileSync(file, `${stdout}\n${stderr}`);
      const result = await scan([file]);
      expect(result.stdout).toBe('');
      expect(result.code).toBe(0);
      expect(stdout + stderr).not.toMatch(KEY_SHAPE);
      // Nor a stored hash, nor a bare secret (43 base62 chars) without its key around it.
      expect(stdout + stderr).not.toMatch(/(?:hmac-)?sha256:[A-Za-z0-9_-]{20}/);
      expect(stdout + stderr).not.toMatch(/(?<![A-Za-z0-9_])[0-9A-Za-z]{43}(?![A-Za-z0-9])/);
    });
  }

  it('finds no key anywhere in the repository', async () => {
    const result = await scan(['.']);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(0);
  });
});
