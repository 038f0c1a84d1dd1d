import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyward } from '@keyward/core';
import { describeAuditStore } from '@keyward/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'keyward-sqlite-audit-'));
const opened: SqliteStore[] = [];
let files = 0;

function open(path = join(dir, `audit-${files++}.db`)): SqliteStore {
  const store = new SqliteStore({ path });
  opened.push(store);
  return store;
}

afterAll(() => {
  for (const store of opened) store.close();
  rmSync(dir, { recursive: true, force: true });
});

let shared: SqliteStore | undefined;
describeAuditStore('SqliteStore', () => {
  shared ??= open();
  return shared;
});

/** A keyward on a fresh file with six entries for one key. */
async function trail() {
  const store = open();
  const keyward = createKeyward({ prefix: 'acme', store });
  const { record } = await keyward.create({ name: 'x', actor: { type: 'user', id: 'alice' } });
  for (let i = 0; i < 5; i++) await keyward.update(record.id, { name: `n${i}` });
  return { store, keyward, id: record.id, sql: (text: string) => store.database.exec(text) };
}

describe('SqliteStore — audit trail', () => {
  it('finds an entry changed by hand', async () => {
    const { keyward, sql } = await trail();
    expect(await keyward.verifyAudit()).toMatchObject({ ok: true, entries: 6 });
    sql(`UPDATE keyward_audit SET actor_id = 'mallory' WHERE seq = 1`);
    expect(await keyward.verifyAudit()).toStrictEqual({ ok: false, seq: 1 });
  });

  it('finds a changed `changes` value', async () => {
    const { keyward, sql } = await trail();
    sql(`UPDATE keyward_audit SET changes = replace(changes, '"n2"', '"n9"') WHERE seq = 4`);
    expect(await keyward.verifyAudit()).toStrictEqual({ ok: false, seq: 4 });
  });

  it('finds a removed entry', async () => {
    const { keyward, sql } = await trail();
    sql('DELETE FROM keyward_audit WHERE seq = 3');
    expect(await keyward.verifyAudit()).toStrictEqual({ ok: false, seq: 3 });
  });

  it('finds two entries swapped', async () => {
    const { keyward, sql } = await trail();
    sql(`UPDATE keyward_audit SET seq = -seq WHERE seq IN (2, 5);
         UPDATE keyward_audit SET seq = 7 + seq WHERE seq IN (-2, -5)`);
    expect(await keyward.verifyAudit()).toStrictEqual({ ok: false, seq: 2 });
  });

  it('rolls the key change back when its audit entry cannot be written', async () => {
    const { store, keyward, id, sql } = await trail();
    sql(
      `CREATE TRIGGER no_audit BEFORE INSERT ON keyward_audit BEGIN SELECT RAISE(ABORT, 'no'); END`,
    );
    const error = await keyward.update(id, { name: 'lost' }).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('store_unavailable');
    expect(store.getKey(id)?.name).toBe('n4');
    const created = await keyward.create({ name: 'nope' }).catch((e: unknown) => e);
    expect((created as { code?: string }).code).toBe('store_unavailable');
    expect(store.listKeys({ limit: 10 }).items.map((r) => r.name)).toStrictEqual(['n4']);
  });
});
