import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '@keyward/sqlite';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { assertBuilt, runBin } from './run-bin.js';

assertBuilt();
// Each test spawns the binary a few times; a loaded 2-core machine needs more than the default.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const root = mkdtempSync(join(tmpdir(), 'keyward-cli-audit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dirs = 0;
function workspace() {
  const cwd = join(root, `w${dirs++}`);
  mkdirSync(cwd);
  const db = join(cwd, 'keyward.db');
  const run = (args: readonly string[]) =>
    runBin(args, { cwd, env: { KEYWARD_DB: db, KEYWARD_PREFIX: 'acme' } });
  return { db, run };
}

async function created(run: ReturnType<typeof workspace>['run'], flags: string[] = []) {
  const result = await run(['create', '--name', 'cli key', '--json', ...flags]);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { record: { id: string } }).record.id;
}

describe('keyward audit', () => {
  it('records every CLI change with actor { type: cli, id: <OS user> } and its reason', async () => {
    const { run } = workspace();
    const id = await created(run, ['--reason', 'new partner']);
    for (const args of [
      ['update', id, '--name', 'renamed', '--reason', 'typo'],
      ['disable', id, '--reason', 'abuse'],
      ['enable', id],
      ['rotate', id, '--grace', '1h', '--reason', 'yearly'],
      ['revoke', id, '--reason', 'leaked'],
    ]) {
      const result = await run(args);
      expect(result.code, `${args[0]}: ${result.stderr}`).toBe(0);
    }
    const listed = await run(['audit', '--key', id, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const { items } = JSON.parse(listed.stdout) as {
      items: { type: string; actor: unknown; reason?: string; changes?: object }[];
    };
    expect(items.map((e) => [e.type, e.reason])).toStrictEqual([
      ['key.created', 'new partner'],
      ['key.updated', 'typo'],
      ['key.disabled', 'abuse'],
      ['key.enabled', undefined],
      ['key.rotated', 'yearly'],
      ['key.revoked', 'leaked'],
    ]);
    for (const entry of items)
      expect(entry.actor).toStrictEqual({ type: 'cli', id: userInfo().username });
    expect(listed.stdout).not.toMatch(/sha256:|"hash":\s*"sha/);
    const table = await run(['audit']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^SEQ +AT +TYPE +KEY +ACTOR/);
    expect(table.stdout).toMatch(
      new RegExp(`key\\.revoked +${id} +cli:${userInfo().username} +\\S+ +leaked`),
    );
  });

  it('verifies the trail, and exits 1 naming the entry changed in the database', async () => {
    const { run, db } = workspace();
    const id = await created(run);
    await run(['update', id, '--name', 'b']);
    await run(['update', id, '--name', 'c']);
    const intact = await run(['audit', 'verify', '--json']);
    expect(intact.code).toBe(0);
    expect(JSON.parse(intact.stdout)).toMatchObject({ ok: true, entries: 3 });
    const store = new SqliteStore({ path: db });
    store.database.exec("UPDATE keyward_audit SET reason = 'nothing happened' WHERE seq = 2");
    store.close();
    const broken = await run(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/BROKEN at entry 2/);
    expect(JSON.parse((await run(['audit', 'verify', '--json'])).stdout)).toStrictEqual({
      ok: false,
      seq: 2,
    });
  });

  it('filters by time and refuses bad arguments with exit 2', async () => {
    const { run } = workspace();
    await created(run);
    const future = await run(['audit', '--since', '2999-01-01', '--json']);
    expect(JSON.parse(future.stdout)).toStrictEqual({ items: [] });
    const recent = await run(['audit', '--since', '1h', '--json']);
    expect((JSON.parse(recent.stdout) as { items: unknown[] }).items).toHaveLength(1);
    for (const args of [
      ['audit', 'bogus'],
      ['audit', '--since', 'yesterday'],
      ['audit', '--limit', '0'],
      ['audit', '--key', 'not-an-id'],
      ['audit', '--cursor', 'x'],
    ]) {
      const result = await run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('keyward review', () => {
  it('exits 1 with findings, 0 without, and prints them as a table or JSON', async () => {
    const { run } = workspace();
    await created(run, ['--env', 'test', '--ip', '10.0.0.0/8', '--expires', '30d']);
    const clean = await run(['review']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stderr).toContain('no findings');
    const open = await created(run, ['--env', 'live', '--scopes', 'invoices:*']);
    const found = await run(['review', '--json']);
    expect(found.code).toBe(1);
    const findings = JSON.parse(found.stdout) as { keyId: string; kind: string }[];
    expect(findings.map((f) => [f.keyId, f.kind])).toStrictEqual([
      [open, 'no_expiry'],
      [open, 'wildcard_scope'],
      [open, 'unrestricted'],
    ]);
    const table = await run(['review']);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^KEY +NAME +OWNER +FINDING +DETAIL/);
    for (const args of [
      ['review', '--unused-days', '0'],
      ['review', '--rotate-days', 'x'],
    ]) {
      expect((await run(args)).code).toBe(2);
    }
  });
});
