import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from './schema.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'keyward-sqlite-schema-'));
let files = 0;

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const fixture = (name: string) =>
  readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url), 'utf8');

/**
 * The files earlier releases left: step 1 alone (version 1), steps 1 and 4 (the audit trail
 * first), steps 1 and 3 (usage first). Each holds one key.
 */
const STARTING_POINTS = [
  ['step 1', `${fixture('schema-v1.sql')}INSERT INTO keyward_meta VALUES ('schema_version', '1');`],
  ['steps 1 and 4', fixture('schema-steps-1-4.sql')],
  ['steps 1 and 3', fixture('schema-steps-1-3.sql')],
] as const;

function oldFile(sql: string): string {
  const path = join(dir, `old-${files++}.db`);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(sql);
  db.prepare(
    `INSERT INTO keyward_keys (id, environment, name, hash, scopes, disabled, created_at, updated_at, version)
     VALUES ('OldKey000001', 'live', 'old key', 'sha256:x', '[]', 0, 1, 2, 1)`,
  ).run();
  db.close();
  return path;
}

function meta(store: SqliteStore): Record<string, string> {
  const rows = store.database.prepare('SELECT name, value FROM keyward_meta').all() as {
    name: string;
    value: string;
  }[];
  return Object.fromEntries(rows.map((row) => [row.name, row.value]));
}

describe('SqliteStore — schema steps', () => {
  it.each(STARTING_POINTS)(
    'upgrades a file at %s in place to steps 1, 3 and 4, keeping its keys, idempotently',
    (_, sql) => {
      const path = oldFile(sql);
      const minute = Date.UTC(2031, 0, 1, 10, 5);
      for (let open = 0; open < 2; open++) {
        const store = new SqliteStore({ path });
        try {
          expect(meta(store)).toStrictEqual({
            schema_version: String(SCHEMA_VERSION),
            schema_steps: '1,3,4',
          });
          expect(store.getKey('OldKey000001')?.name).toBe('old key');
          // Step 3: usage and last use.
          store.recordUsage(
            [{ keyId: 'OldKey000001', minute, outcome: 'verified', route: '', count: 2, cost: 2 }],
            new Map([['OldKey000001', minute + open]]),
          );
          const query = { keyId: 'OldKey000001', from: minute, to: minute + 60_000 } as const;
          expect(store.queryUsage({ ...query, granularity: 'minute', groupBy: 'time' })).toEqual([
            {
              start: minute,
              route: '',
              outcome: 'verified',
              count: 2 * (open + 1),
              cost: 2 * (open + 1),
            },
          ]);
          expect(store.lastUsed(['OldKey000001']).get('OldKey000001')).toBe(minute + open);
          // Step 4: the audit trail.
          const draft = {
            id: `aud_${open}`,
            at: 5,
            type: 'key.updated',
            keyId: 'OldKey000001',
          } as const;
          expect(store.appendAudit(draft).seq).toBe(open + 1);
        } finally {
          store.close();
        }
      }
    },
  );

  it('writes a new file at steps 1, 3 and 4', () => {
    const store = new SqliteStore({ path: join(dir, `new-${files++}.db`) });
    expect(meta(store)).toStrictEqual({
      schema_version: String(SCHEMA_VERSION),
      schema_steps: '1,3,4',
    });
    store.close();
  });

  it.each([
    [
      'a newer schema version',
      "UPDATE keyward_meta SET value = '99' WHERE name = 'schema_version'",
      /schema version 99/,
    ],
    [
      'a step it does not know',
      "UPDATE keyward_meta SET value = '1,2,3,4' WHERE name = 'schema_steps'",
      /steps 1,2,3,4/,
    ],
  ])('refuses a file with %s', (_, change, message) => {
    const path = join(dir, `refused-${files++}.db`);
    const first = new SqliteStore({ path });
    first.database.prepare(change).run();
    first.close();
    expect(() => new SqliteStore({ path })).toThrow(message);
  });
});
