import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKeyward } from '@keyward/core';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/sqlite-store.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const worker = fileURLToPath(new URL('./fixtures/race-worker.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'keyward-sqlite-mp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collect(child: ChildProcess): { ready: Promise<void>; done: Promise<string> } {
  let out = '';
  let err = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.startsWith('ready\n')) markReady();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const done = new Promise<string>((resolve, reject) => {
    child.on('close', (code) =>
      code === 0 ? resolve(out.slice('ready\n'.length)) : reject(new Error(`worker: ${err}`)),
    );
  });
  return { ready, done };
}

/** Starts `count` processes, waits until each is ready, then releases them all at once. */
async function race(path: string, operation: string, target: string, count: number) {
  const children = Array.from({ length: count }, (_, i) =>
    spawn(process.execPath, ['--import', 'tsx', worker, path, operation, target, String(i)], {
      cwd: root,
      timeout: 45_000,
    }),
  );
  const runs = children.map(collect);
  await Promise.all(runs.map((r) => r.ready));
  for (const child of children) child.stdin.end();
  const outputs = await Promise.all(runs.map((r) => r.done));
  return outputs.map((stdout) => JSON.parse(stdout) as Record<string, number | boolean>);
}

describe('SqliteStore — several processes on one file', () => {
  it('lets exactly one of four processes win an update of one version', async () => {
    const path = join(dir, 'update.db');
    const store = new SqliteStore({ path });
    store.insertKey({
      id: 'race00000001',
      environment: 'live',
      name: 'original',
      hash: 'sha256:x',
      scopes: [],
      disabled: false,
      createdAt: 1,
      updatedAt: 1,
      version: 1,
    });
    const results = await race(path, 'update', 'race00000001', 4);
    const winners = results.flatMap((r, i) => (r.won === true ? [i] : []));
    expect(winners).toHaveLength(1);
    const stored = store.getKey('race00000001')!;
    expect(stored.name).toBe(`writer ${winners[0]}`);
    expect(stored.version).toBe(2);
    store.close();
  }, 60_000);

  it('never over-grants a bucket shared by four processes', async () => {
    const path = join(dir, 'take.db');
    new SqliteStore({ path }).close();
    const results = await race(path, 'take', 'shared-bucket', 4);
    const allowed = results.reduce((sum, r) => sum + Number(r.allowed), 0);
    expect(allowed).toBe(25);
  }, 60_000);

  it('keeps one unbroken audit chain while four processes append to it', async () => {
    const path = join(dir, 'audit.db');
    const store = new SqliteStore({ path });
    const results = await race(path, 'audit', '-', 4);
    expect(results.map((r) => r.appended)).toStrictEqual([20, 20, 20, 20]);
    const keyward = createKeyward({ prefix: 'acme', store });
    expect(await keyward.verifyAudit()).toMatchObject({ ok: true, entries: 160 });
    const { items } = await keyward.audit({ keyId: 'w30000000019' });
    expect(items.map((e) => e.type)).toStrictEqual(['key.created', 'key.updated']);
    store.close();
  }, 60_000);

  it('upgrades a file of the release before schema step 2 once when four processes open it at once', async () => {
    const path = join(dir, 'upgrade.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(readFileSync(new URL('./fixtures/schema-steps-1-3-4.sql', import.meta.url), 'utf8'));
    const insert = old.prepare(
      `INSERT INTO keyward_keys (id, environment, name, hash, scopes, disabled, created_at, updated_at, version)
       VALUES (?, 'live', 'old key', 'sha256:x', '[]', 0, 1, 2, 1)`,
    );
    for (let i = 0; i < 50; i++) insert.run(`OldKey${String(i).padStart(6, '0')}`);
    old.close();
    const results = await race(path, 'open', 'OldKey000049', 4);
    expect(results.map((r) => r.found)).toStrictEqual([true, true, true, true]);
    const store = new SqliteStore({ path });
    const meta = store.database
      .prepare("SELECT value FROM keyward_meta WHERE name = 'schema_steps'")
      .pluck()
      .get();
    expect(meta).toBe('1,2,3,4,5');
    expect(store.listKeys({ limit: 1000 }).items).toHaveLength(50);
    expect(store.listKeys({ type: 'secret', limit: 1000 }).items).toHaveLength(50);
    store.close();
  }, 60_000);
});
