import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureSchema, SCHEMA_STEPS, SCHEMA_VERSION } from './schema.js';
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

const LIST_INDEXES = [
  'keyward_keys_disabled',
  'keyward_keys_list',
  'keyward_keys_revoked',
  'keyward_keys_usable',
];

function listIndexes(db: Database.Database): string[] {
  return (
    db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'keyward_keys' ORDER BY name",
      )
      .all() as { name: string }[]
  )
    .map((row) => row.name)
    .filter((name) => LIST_INDEXES.includes(name));
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
    'upgrades a file at %s in place to steps 1, 3, 4 and 5, keeping its keys, idempotently',
    (_, sql) => {
      const path = oldFile(sql);
      const minute = Date.UTC(2031, 0, 1, 10, 5);
      for (let open = 0; open < 2; open++) {
        const store = new SqliteStore({ path });
        try {
          expect(meta(store)).toStrictEqual({
            schema_version: String(SCHEMA_VERSION),
            schema_steps: '1,3,4,5',
          });
          expect(store.getKey('OldKey000001')?.name).toBe('old key');
          // Step 5: the list indexes.
          expect(listIndexes(store.database)).toStrictEqual(LIST_INDEXES);
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

  it('writes a new file at steps 1, 3, 4 and 5', () => {
    const store = new SqliteStore({ path: join(dir, `new-${files++}.db`) });
    expect(meta(store)).toStrictEqual({
      schema_version: String(SCHEMA_VERSION),
      schema_steps: '1,3,4,5',
    });
    store.close();
  });

  it('applies a step that arrives after step 5 (a file at 1,3,4,5 gets 2) and restores step 5’s indexes', () => {
    const path = join(dir, `late-step-${files++}.db`);
    const store = new SqliteStore({ path });
    store.insertKey({
      id: 'LateKey00001',
      environment: 'live',
      name: 'kept',
      hash: 'sha256:x',
      scopes: [],
      disabled: false,
      createdAt: 1,
      updatedAt: 1,
      version: 1,
    });
    store.close();
    // A later step 2 that rebuilds the key table, as dropping a CHECK needs in SQLite: the
    // rebuild drops every index of the old table.
    const rebuild = `
CREATE TABLE keyward_keys_new AS SELECT * FROM keyward_keys;
DROP TABLE keyward_keys;
ALTER TABLE keyward_keys_new RENAME TO keyward_keys;
CREATE UNIQUE INDEX IF NOT EXISTS keyward_keys_id ON keyward_keys (id);
`;
    const withStep2 = [SCHEMA_STEPS[0]!, { step: 2, sql: rebuild }, ...SCHEMA_STEPS.slice(1)];
    const db = new Database(path);
    try {
      ensureSchema(db, withStep2);
      const steps = db.prepare("SELECT value FROM keyward_meta WHERE name = 'schema_steps'").get();
      expect(steps).toStrictEqual({ value: '1,2,3,4,5' });
      expect(listIndexes(db)).toStrictEqual(LIST_INDEXES);
      expect(db.prepare('SELECT name FROM keyward_keys').all()).toStrictEqual([{ name: 'kept' }]);
      // Opening again applies nothing: the rebuild would fail on keyward_keys_new otherwise.
      db.exec('CREATE TABLE keyward_keys_new (x)');
      ensureSchema(db, withStep2);
    } finally {
      db.close();
    }
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
