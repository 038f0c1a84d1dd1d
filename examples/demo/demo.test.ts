import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const demo = fileURLToPath(new URL('./demo.mjs', import.meta.url));
const built = ['core', 'express', 'sqlite', 'console'].every((name) =>
  existsSync(fileURLToPath(new URL(`../../packages/${name}/dist/index.js`, import.meta.url))),
);

function runDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [demo], {
      env: { ...process.env, DEMO_EXIT: '1', PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the README demo', () => {
  it('walks through every status on a real Express API over SQLite, then exits', async () => {
    if (!built) throw new Error('build the packages first: npx pnpm@10 build');
    const { code, stdout, stderr } = await runDemo();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('Statuses seen: 401 200 401 403 403 403 429 200 200 401');
    for (const code of [
      'missing_key',
      'malformed_key',
      'insufficient_scope',
      'ip_not_allowed',
      'rate_limited',
      'revoked_key',
    ]) {
      expect(stdout).toContain(code);
    }
    expect(stdout).toMatch(/retry-after: \d+/);
    // The key's usage, written by the flush: by outcome and by route template, and its last use.
    expect(stdout).toMatch(/10\. Usage of "reporting script"/);
    const summary = /^ {2}(\d+) verifications: (.*)$/m.exec(stdout);
    expect(summary?.[1]).toBe('8');
    for (const part of ['verified 5', 'rate_limited 1', 'insufficient_scope 1', 'revoked_key 1']) {
      expect(summary?.[2]).toContain(part);
    }
    expect(stdout).toMatch(/^ {2}GET \/invoices: 7 \(verified 5, /m);
    expect(stdout).toMatch(/^ {2}GET \/admin\/stats: 1 \(insufficient_scope 1\)$/m);
    expect(stdout).toMatch(/last used \d{4}-\d\d-\d\dT/);
    expect(stdout).toMatch(/keys not named included: .*missing_key 1.*/);
    // The console is mounted: its API answers the admin key, its page carries the CSP.
    expect(stdout).toMatch(/← 200 \{"keyId":"[0-9A-Za-z]{12}"\}/);
    expect(stdout).toContain("frame-ancestors 'none'");
    expect(stdout).toMatch(/Console: http:\/\/127\.0\.0\.1:\d+\/keyward\/ \(admin key demo_test_/);
    // In a non-interactive run no key is printed in full (only redacted forms).
    expect(stdout).not.toMatch(/demo_test_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}/);
    expect(stdout).toMatch(/demo_test_[0-9A-Za-z]{12}_…/);
  });
});
