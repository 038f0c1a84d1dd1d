import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '@keyward/sqlite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { assertBuilt, type RunResult, runBin } from './run-bin.js';

assertBuilt();
// Each test spawns the binary a few times; a loaded 2-core machine needs more than the default.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const KEY_PATTERN = /acme_(live|test)_([0-9A-Za-z]{12})_[0-9A-Za-z]{49}/g;
const root = mkdtempSync(join(tmpdir(), 'keyward-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dirs = 0;
/** A fresh working directory with its own database. */
function workspace() {
  const cwd = join(root, `w${dirs++}`);
  mkdirSync(cwd);
  const env = { KEYWARD_DB: join(cwd, 'keyward.db'), KEYWARD_PREFIX: 'acme' };
  const run = (
    args: readonly string[],
    extra: { env?: Record<string, string>; input?: string } = {},
  ) =>
    runBin(args, {
      cwd,
      env: { ...env, ...extra.env },
      ...(extra.input === undefined ? {} : { input: extra.input }),
    });
  return { cwd, env, run };
}

async function createKey(
  run: ReturnType<typeof workspace>['run'],
  flags: readonly string[] = [],
): Promise<{ key: string; id: string; record: Record<string, unknown> }> {
  const result = await run(['create', '--name', 'test key', '--json', ...flags]);
  expect(result.code, result.stderr).toBe(0);
  const parsed = JSON.parse(result.stdout) as { key: string; record: Record<string, unknown> };
  return { key: parsed.key, id: parsed.record.id as string, record: parsed.record };
}

const json = (result: RunResult) => JSON.parse(result.stdout) as Record<string, unknown>;
const noStack = (result: RunResult) => expect(result.stderr).not.toMatch(/^\s+at /m);

describe('keyward (global)', () => {
  const { run } = workspace();

  it('prints the package version with --version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const result = await run(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it('lists every command and the exit codes with --help', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    for (const name of [
      'create',
      'list',
      'show',
      'update',
      'rotate',
      'revoke',
      'disable',
      'enable',
      'verify',
      'scan',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    expect(result.stdout).toContain('Exit codes');
  });

  it.each([
    'create',
    'list',
    'show',
    'update',
    'rotate',
    'revoke',
    'disable',
    'enable',
    'verify',
    'scan',
  ])('has --help for %s', async (name) => {
    const result = await run([name, '--help'], { env: { KEYWARD_PREFIX: '' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: keyward ${name}`);
  });

  it('exits 2 without a command, and for an unknown one', async () => {
    expect((await run([])).code).toBe(2);
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('frobnicate');
  });

  it('exits 2 on an unknown flag, naming it', async () => {
    const result = await run(['list', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--bogus');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 2 with a clear line when the prefix is missing', async () => {
    const result = await run(['list'], { env: { KEYWARD_PREFIX: '' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('KEYWARD_PREFIX');
    noStack(result);
  });

  it('exits 2 on a bad prefix or a short pepper', async () => {
    expect((await run(['create', '--name', 'x', '--prefix', 'Bad-Prefix'])).code).toBe(2);
    const pepper = await run(['create', '--name', 'x'], { env: { KEYWARD_PEPPER: 'short' } });
    expect(pepper.code).toBe(2);
    expect(pepper.stderr).toContain('pepper');
  });

  it('takes global flags before the command too', async () => {
    const { cwd } = workspace();
    const db = join(cwd, 'other.db');
    const result = await run(['--db', db, '--prefix', 'zeta', 'create', '--name', 'x']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/zeta_live_/);
    expect(existsSync(db)).toBe(true);
  });
});

describe('keyward pepper', () => {
  const pepper = 'pepper-for-cli-tests-0123456789';

  it.each([
    [['--pepper', pepper, 'create', '--name', 'x']],
    [['create', '--name', 'x', '--pepper', pepper]],
    [['create', '--name', 'x', `--pepper=${pepper}`]],
    [['list', '--pepper', pepper]],
    [['--pepper', pepper]],
    [['--pepper', pepper, '--help']],
  ])('refuses %j with exit 2, saying what to use, never echoing it', async (args) => {
    const { run, env } = workspace();
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('KEYWARD_PEPPER');
    expect(result.stderr).toContain('--pepper-file');
    expect(result.stdout + result.stderr).not.toContain(pepper);
    expect(existsSync(env.KEYWARD_DB)).toBe(false);
  });

  it('reads it from --pepper-file <path> (trailing newline dropped), KEYWARD_PEPPER or stdin', async () => {
    const { run, cwd } = workspace();
    writeFileSync(join(cwd, 'pepper.txt'), `${pepper}\n`, { mode: 0o600 });
    const created = await run(['create', '--name', 'x', '--json', '--pepper-file', 'pepper.txt']);
    expect(created.code, created.stderr).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: string };
    expect((await run(['verify', key], { env: { KEYWARD_PEPPER: pepper } })).code).toBe(0);
    expect(
      (await run(['verify', key, '--pepper-file', '-'], { input: `${pepper}\r\n` })).code,
    ).toBe(0);
    const unpeppered = await run(['verify', key]);
    expect(unpeppered.code).toBe(1);
    expect(unpeppered.stdout).toMatch(/^invalid_key 401/);
    // The file wins over the environment, as every flag does.
    const wrong = { KEYWARD_PEPPER: 'another-pepper-0123456789' };
    expect((await run(['verify', key, '--pepper-file', 'pepper.txt'], { env: wrong })).code).toBe(
      0,
    );
    expect((await run(['verify', key], { env: wrong })).code).toBe(1);
  });

  it('exits 2 for a missing or empty pepper file, or stdin asked for both key and pepper', async () => {
    const { run, cwd } = workspace();
    const missing = await run(['create', '--name', 'x', '--pepper-file', 'nope.txt']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(join(cwd, 'nope.txt'));
    writeFileSync(join(cwd, 'empty.txt'), '\n');
    expect((await run(['create', '--name', 'x', '--pepper-file', 'empty.txt'])).code).toBe(2);
    expect((await run(['create', '--name', 'x', '--pepper-file', '-'], { input: '' })).code).toBe(
      2,
    );
    writeFileSync(join(cwd, 'short.txt'), 'short');
    expect((await run(['create', '--name', 'x', '--pepper-file', 'short.txt'])).code).toBe(2);
    const both = await run(['verify', '-', '--pepper-file', '-'], { input: pepper });
    expect(both.code).toBe(2);
    expect(both.stdout + both.stderr).not.toContain(pepper);
  });
});

describe('keyward create', () => {
  const { run } = workspace();

  it('prints the key once with a warning, and the record', async () => {
    const result = await run([
      'create',
      '--name',
      'ci',
      '--env',
      'test',
      '--scopes',
      'invoices:read',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const keys = [...result.stdout.matchAll(KEY_PATTERN)];
    expect(keys).toHaveLength(1);
    expect(keys[0]![1]).toBe('test');
    expect(result.stderr).toMatch(/not be shown again/);
    expect(result.stdout).toContain(`acme_test_${keys[0]![2]}_…`);
    expect(result.stdout).toMatch(/^scopes\s+invoices:read$/m);
  });

  it('maps every flag onto the record', async () => {
    const before = Date.now();
    const { id } = await createKey(run, [
      '--env',
      'test',
      '--scopes',
      'invoices:read,invoices:write',
      '--ip',
      '10.0.0.0/8',
      '--ip',
      '2001:db8::/32',
      '--referrer',
      'https://*.example.com/*',
      '--rate',
      '10/s',
      '--burst',
      '20',
      '--quota',
      '10000/day',
      '--expires',
      '30d',
      '--owner',
      'acct_42',
      '--meta',
      'team=billing',
      '--meta',
      'tier=gold',
    ]);
    const shown = json(await run(['show', id, '--json']));
    expect(shown).toMatchObject({
      environment: 'test',
      ownerId: 'acct_42',
      scopes: ['invoices:read', 'invoices:write'],
      ips: ['10.0.0.0/8', '2001:db8::/32'],
      referrers: ['https://*.example.com/*'],
      rateLimit: { capacity: 20, refillPerSecond: 10 },
      quota: { limit: 10_000, period: 'day' },
      metadata: { team: 'billing', tier: 'gold' },
    });
    const expires = Date.parse(shown.expiresAt as string);
    expect(expires).toBeGreaterThanOrEqual(before + 30 * 86_400_000);
    expect(expires).toBeLessThan(Date.now() + 30 * 86_400_000 + 1);
  });

  it('defaults the burst to the per-second rate rounded up, at least 1', async () => {
    const fast = await createKey(run, ['--rate', '2.5/s']);
    expect(fast.record.rateLimit).toStrictEqual({ capacity: 3, refillPerSecond: 2.5 });
    const slow = await createKey(run, ['--rate', '60/h']);
    expect((slow.record.rateLimit as { capacity: number }).capacity).toBe(1);
  });

  it('takes an ISO date for --expires', async () => {
    const { record } = await createKey(run, ['--expires', '2099-01-31T12:00:00Z']);
    expect(record.expiresAt).toBe('2099-01-31T12:00:00.000Z');
  });

  it('exits 2 on a bad CIDR, naming it, without a stack trace', async () => {
    const result = await run(['create', '--name', 'x', '--ip', '10.0.0.1/33']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('10.0.0.1/33');
    noStack(result);
  });

  it.each([
    [['--rate', '10/fortnight'], '--rate'],
    [['--rate', '10/s', '--burst', 'lots'], '--burst'],
    [['--quota', '5/year'], '--quota'],
    [['--expires', 'soon'], '--expires'],
    [['--expires', '2001-01-01'], 'expiresAt'],
    [['--meta', 'novalue'], '--meta'],
    [['--env', 'staging'], '--env'],
    [['--scopes', 'bad scope'], 'scope'],
  ])('exits 2 on %j', async (flags, named) => {
    const result = await run(['create', '--name', 'x', ...flags]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(named);
    noStack(result);
  });

  it('exits 2 without --name', async () => {
    const result = await run(['create']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--name');
  });
});

describe('keyward list and show', () => {
  const { run } = workspace();
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ids.a = (await createKey(run, ['--owner', 'acct_1', '--env', 'live'])).id;
    ids.b = (await createKey(run, ['--owner', 'acct_1', '--env', 'test'])).id;
    ids.c = (await createKey(run, ['--owner', 'acct_2', '--env', 'live'])).id;
  });

  it('prints a table of keys', async () => {
    const result = await run(['list']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^ID\s+ENV\s+STATUS\s+LAST USED\s+NAME/);
    for (const id of Object.values(ids)) expect(result.stdout).toContain(id);
  });

  it('filters by owner and environment', async () => {
    const owner = json(await run(['list', '--owner', 'acct_1', '--json']));
    expect((owner.items as { id: string }[]).map((i) => i.id).sort()).toStrictEqual(
      [ids.a, ids.b].sort(),
    );
    const live = json(await run(['list', '--owner', 'acct_1', '--env', 'live', '--json']));
    expect((live.items as { id: string }[]).map((i) => i.id)).toStrictEqual([ids.a]);
  });

  it('pages with --limit and --cursor', async () => {
    const first = json(await run(['list', '--limit', '2', '--json']));
    expect(first.items).toHaveLength(2);
    expect(typeof first.cursor).toBe('string');
    const second = json(
      await run(['list', '--limit', '2', '--cursor', first.cursor as string, '--json']),
    );
    expect(second.items).toHaveLength(1);
    expect(second.cursor).toBeUndefined();
    const text = await run(['list', '--limit', '2']);
    expect(text.stderr).toContain(`--cursor ${first.cursor}`);
  });

  it('exits 2 on a bad --limit', async () => {
    expect((await run(['list', '--limit', '0'])).code).toBe(2);
  });

  it('shows one key as text and JSON, never with a secret', async () => {
    const text = await run(['show', ids.a!]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^id\\s+${ids.a}$`, 'm'));
    expect(text.stdout).toMatch(/^owner\s+acct_1$/m);
    const shown = json(await run(['show', ids.a!, '--json']));
    expect(shown.id).toBe(ids.a);
    expect(JSON.stringify(shown)).not.toMatch(/hash|sha256/);
  });

  it('exits 3 on an unknown id, saying so', async () => {
    const result = await run(['show', '000000000000']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('000000000000');
    noStack(result);
  });

  it('exits 2 on something that is not an id, and on a missing id', async () => {
    expect((await run(['show', 'not-an-id'])).code).toBe(2);
    expect((await run(['show'])).code).toBe(2);
  });

  it('exits 4 when the database does not exist, without creating it', async () => {
    const { cwd } = workspace();
    const missing = join(cwd, 'missing.db');
    const result = await run(['list', '--db', missing]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('missing.db');
    expect(existsSync(missing)).toBe(false);
  });

  it('exits 4 when the database file is not a database', async () => {
    const { cwd } = workspace();
    const garbage = join(cwd, 'garbage.db');
    writeFileSync(garbage, 'this is not sqlite '.repeat(100));
    const result = await run(['list', '--db', garbage]);
    expect(result.code).toBe(4);
    noStack(result);
  });

  it('exits 2 on an unsupported --store URL', async () => {
    expect((await run(['list', '--store', 'ftp://example.com'])).code).toBe(2);
  });
});

describe('keyward create --admin, list --status and --search', () => {
  const { run, env } = workspace();
  const ids: Record<string, string> = {};
  const listed = async (flags: readonly string[]) => {
    const result = await run(['list', '--json', ...flags]);
    expect(result.code, result.stderr).toBe(0);
    return (json(result).items as { id: string }[]).map((item) => item.id).sort();
  };

  beforeAll(async () => {
    const named = async (name: string, flags: readonly string[] = []) => {
      const result = await run(['create', '--name', name, '--json', ...flags]);
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as { record: { id: string } }).record.id;
    };
    ids.active = await named('Billing export');
    ids.disabled = await named('billing sync');
    ids.revoked = await named('reports 50%_off');
    ids.expired = await named('short lived', ['--expires', '2030-01-01T00:00:00Z']);
    ids.expiring = await named('expires later', ['--expires', '30d']);
    expect((await run(['disable', ids.disabled])).code).toBe(0);
    expect((await run(['revoke', ids.revoked])).code).toBe(0);
    // A key past its expiry (create refuses a past expiresAt): written into the file directly.
    const store = new SqliteStore({ path: env.KEYWARD_DB });
    store.database
      .prepare('UPDATE keyward_keys SET expires_at = ? WHERE id = ?')
      .run(Date.now() - 1000, ids.expired);
    store.close();
  });

  it('create --admin adds the scope keyward:admin, once, beside --scopes', async () => {
    const admin = await createKey(run, ['--admin']);
    expect(admin.record.scopes).toStrictEqual(['keyward:admin']);
    const both = await createKey(run, ['--admin', '--scopes', 'invoices:read,keyward:admin']);
    expect(both.record.scopes).toStrictEqual(['invoices:read', 'keyward:admin']);
    const plain = await createKey(run, ['--scopes', 'invoices:read']);
    expect(plain.record.scopes).toStrictEqual(['invoices:read']);
    expect((await run(['create', '--help'])).stdout).toContain('--admin');
    for (const { id } of [admin, both, plain]) expect((await run(['revoke', id])).code).toBe(0);
  });

  it('list --status shows only keys in that state', async () => {
    expect(await listed(['--status', 'disabled'])).toStrictEqual([ids.disabled]);
    expect(await listed(['--status', 'revoked'])).toContain(ids.revoked);
    expect(await listed(['--status', 'revoked'])).not.toContain(ids.active);
    expect(await listed(['--status', 'active'])).toStrictEqual([ids.active, ids.expiring].sort());
    expect(await listed(['--status', 'expired'])).toStrictEqual([ids.expired]);
    const table = await run(['list', '--status', 'expired']);
    expect(table.stdout).toMatch(new RegExp(`${ids.expired}\\s+live\\s+expired`));
  });

  it('list --search finds an id exactly and names case-insensitively, % and _ literally', async () => {
    expect(await listed(['--search', 'BILLING'])).toStrictEqual([ids.active, ids.disabled].sort());
    expect(await listed(['--search', ids.expired!])).toStrictEqual([ids.expired]);
    expect(await listed(['--search', '0%_o'])).toStrictEqual([ids.revoked]);
    expect(await listed(['--search', '0__o'])).toStrictEqual([]);
    expect(await listed(['--search', 'billing', '--status', 'disabled'])).toStrictEqual([
      ids.disabled,
    ]);
    const text = await run(['list', '--search', 'billing', '--limit', '1']);
    expect(text.code).toBe(0);
    expect(text.stderr).toContain('more: keyward list --search billing --limit 1 --cursor ');
    const quoted = await run(['list', '--search', "it's", '--status', 'active']);
    expect(quoted.code).toBe(0);
  });

  it.each([
    [['--status', 'deleted'], '--status'],
    [['--search', 'x'.repeat(101)], 'search'],
  ])('list %j exits 2 naming the flag', async (flags, named) => {
    const result = await run(['list', ...flags]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(named);
    noStack(result);
  });
});

describe('keyward database file mode (umask 022, the usual default)', () => {
  let umask = 0;
  beforeAll(() => {
    umask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(umask);
  });
  const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

  it('create makes the database readable by its owner only (0600), warning about nothing', async () => {
    const { run, env } = workspace();
    const created = await run(['create', '--name', 'x']);
    expect(created.code, created.stderr).toBe(0);
    expect(modeOf(env.KEYWARD_DB)).toBe('600');
    expect(created.stderr).not.toContain(env.KEYWARD_DB);
    const listed = await run(['list']);
    expect(listed.code).toBe(0);
    expect(listed.stderr).toBe('');
  });

  it('warns on stderr when an existing database is open to group or others, and leaves it', async () => {
    const { run, env } = workspace();
    expect((await run(['create', '--name', 'x'])).code).toBe(0);
    for (const mode of [0o644, 0o640, 0o604, 0o620]) {
      chmodSync(env.KEYWARD_DB, mode);
      const listed = await run(['list']);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/^ID\s+ENV/);
      expect(listed.stderr).toContain(env.KEYWARD_DB);
      expect(listed.stderr).toContain(mode.toString(8));
      expect(modeOf(env.KEYWARD_DB)).toBe(mode.toString(8));
    }
    chmodSync(env.KEYWARD_DB, 0o700);
    expect((await run(['list'])).stderr).toBe('');
  });
});

describe('keyward update, disable, enable', () => {
  const { run } = workspace();

  it('changes fields and clears restrictions', async () => {
    const { id } = await createKey(run, [
      '--ip',
      '10.0.0.0/8',
      '--rate',
      '5/s',
      '--quota',
      '10/day',
      '--expires',
      '1d',
      '--meta',
      'a=1',
    ]);
    const updated = json(
      await run([
        'update',
        id,
        '--name',
        'renamed',
        '--scopes',
        'users:read',
        '--clear-ip',
        '--clear-quota',
        '--clear-expires',
        '--meta',
        'b=2',
        '--json',
      ]),
    );
    expect(updated).toMatchObject({
      name: 'renamed',
      scopes: ['users:read'],
      metadata: { a: '1', b: '2' },
    });
    expect(updated).not.toHaveProperty('ips');
    expect(updated).not.toHaveProperty('quota');
    expect(updated).not.toHaveProperty('expiresAt');
    const burst = json(await run(['update', id, '--burst', '50', '--json']));
    expect(burst.rateLimit).toStrictEqual({ capacity: 50, refillPerSecond: 5 });
    const cleared = json(
      await run([
        'update',
        id,
        '--clear-rate',
        '--clear-meta',
        '--referrer',
        'https://a.example/*',
        '--json',
      ]),
    );
    expect(cleared).not.toHaveProperty('rateLimit');
    expect(cleared).not.toHaveProperty('metadata');
    expect(cleared.referrers).toStrictEqual(['https://a.example/*']);
  });

  it('exits 2 on a bad CIDR, a conflict, an unchangeable field or no change', async () => {
    const { id } = await createKey(run);
    const cidr = await run(['update', id, '--ip', '300.1.1.1']);
    expect(cidr.code).toBe(2);
    expect(cidr.stderr).toContain('300.1.1.1');
    expect((await run(['update', id, '--ip', '10.0.0.0/8', '--clear-ip'])).code).toBe(2);
    expect((await run(['update', id, '--env', 'test'])).code).toBe(2);
    expect((await run(['update', id])).code).toBe(2);
  });

  it('exits 3 on an unknown id', async () => {
    const result = await run(['update', 'ZZZZZZZZZZZZ', '--name', 'x']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('ZZZZZZZZZZZZ');
  });

  it('disables and enables a key', async () => {
    const { id, key } = await createKey(run);
    expect((await run(['disable', id])).code).toBe(0);
    const disabled = await run(['verify', key]);
    expect(disabled.code).toBe(1);
    expect(disabled.stdout).toMatch(/^disabled_key 403/);
    expect((await run(['enable', id])).code).toBe(0);
    expect((await run(['verify', key])).code).toBe(0);
    expect((await run(['disable', '000000000000'])).code).toBe(3);
    expect((await run(['enable', '000000000000'])).code).toBe(3);
  });
});

describe('keyward rotate and revoke', () => {
  const { run } = workspace();

  it('rotates with a grace period: the new key printed once, both keys work', async () => {
    const { id, key } = await createKey(run);
    const result = await run(['rotate', id, '--grace', '24h']);
    expect(result.code, result.stderr).toBe(0);
    const keys = [...result.stdout.matchAll(KEY_PATTERN)].map((m) => m[0]);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toBe(key);
    expect(result.stderr).toMatch(/not be shown again/);
    expect((await run(['verify', keys[0]!])).code).toBe(0);
    expect((await run(['verify', key])).code).toBe(0);
    const shown = json(await run(['show', id, '--json']));
    const until = Date.parse(shown.previousSecretExpiresAt as string);
    expect(until - Date.parse(shown.rotatedAt as string)).toBe(86_400_000);
  });

  it('rotates without grace: the old key stops at once', async () => {
    const { id, key } = await createKey(run);
    const { key: next } = JSON.parse((await run(['rotate', id, '--json'])).stdout) as {
      key: string;
    };
    expect((await run(['verify', next])).code).toBe(0);
    const old = await run(['verify', key]);
    expect(old.code).toBe(1);
    expect(old.stdout).toMatch(/^invalid_key 401/);
  });

  it('revokes with a reason; the key is then refused', async () => {
    const { id, key } = await createKey(run);
    const result = await run(['revoke', id, '--reason', 'leaked in a gist']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^status\s+revoked$/m);
    const verify = await run(['verify', key]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/^revoked_key 401/);
    expect(json(await run(['show', id, '--json'])).revokedReason).toBe('leaked in a gist');
    const again = await run(['rotate', id]);
    expect(again.code).toBe(2);
    noStack(again);
  });

  it('exits 3 on unknown ids and 2 on a bad --grace', async () => {
    expect((await run(['rotate', '000000000000'])).code).toBe(3);
    expect((await run(['revoke', '000000000000'])).code).toBe(3);
    const { id } = await createKey(run);
    const grace = await run(['rotate', id, '--grace', 'tomorrow']);
    expect(grace.code).toBe(2);
    expect(grace.stderr).toContain('--grace');
  });
});

describe('keyward verify', () => {
  const { run } = workspace();
  let key = '';

  beforeAll(async () => {
    ({ key } = await createKey(run, [
      '--scopes',
      'invoices:read',
      '--ip',
      '10.0.0.0/8',
      '--referrer',
      'https://*.example.com/*',
      '--rate',
      '1/h',
      '--burst',
      '3',
    ]));
  });

  it('exits 0 and says ok for an accepted key', async () => {
    const result = await run([
      'verify',
      key,
      '--ip',
      '10.1.2.3',
      '--referrer',
      'https://app.example.com/x',
      '--scope',
      'invoices:read',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok 200/);
  });

  it.each([
    [['--ip', '192.0.2.1', '--referrer', 'https://app.example.com/'], 'ip_not_allowed 403'],
    [['--ip', '10.0.0.1', '--referrer', 'https://evil.test/'], 'referrer_not_allowed 403'],
    [
      ['--ip', '10.0.0.1', '--referrer', 'https://app.example.com/', '--scope', 'invoices:write'],
      'insufficient_scope 403',
    ],
  ])('exits 1 with the code, status and reason for %j', async (flags, expected) => {
    const result = await run(['verify', key, ...flags]);
    expect(result.code).toBe(1);
    expect(result.stdout.startsWith(expected)).toBe(true);
    expect(result.stdout.length).toBeGreaterThan(expected.length + 3);
  });

  it('reads the key from stdin with -, and prints JSON with --json', async () => {
    const result = await run(
      ['verify', '-', '--ip', '10.0.0.1', '--referrer', 'https://app.example.com/', '--json'],
      { input: `${key}\n` },
    );
    expect(result.code).toBe(0);
    const parsed = json(result);
    expect(parsed.ok).toBe(true);
    expect(result.stdout).not.toContain(key);
  });

  it('never echoes a key pasted where a command, an id or no argument belongs', async () => {
    const secret = key.slice(-49, -6);
    const attempts = [
      [key],
      ['verify', key, key],
      ['show', key],
      ['show', secret],
      ['revoke', 'abc', key],
    ];
    for (const args of attempts) {
      const result = await run(args);
      expect(result.code).toBe(2);
      expect(result.stderr.length).toBeGreaterThan(0);
      expect(result.stdout + result.stderr).not.toContain(secret.slice(0, 12));
      expect(result.stdout + result.stderr).not.toContain(secret.slice(-12));
    }
  });

  it('refuses a mistyped key with malformed_key and an unknown one with invalid_key', async () => {
    const typo = await run(['verify', `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`]);
    expect(typo.code).toBe(1);
    expect(typo.stdout).toMatch(/^malformed_key 401/);
    expect(typo.stdout + typo.stderr).not.toContain(key.slice(-20));
    const elsewhere = await createKey(workspace().run);
    const unknown = await run(['verify', elsewhere.key]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/^invalid_key 401/);
  });

  it('reports rate_limited once the bucket is empty', async () => {
    const flags = ['--ip', '10.0.0.1', '--referrer', 'https://app.example.com/'];
    let last: RunResult | undefined;
    for (let i = 0; i < 4; i++) last = await run(['verify', key, ...flags]);
    expect(last!.code).toBe(1);
    expect(last!.stdout).toMatch(/^rate_limited 429/);
  });

  it('exits 2 on a bad --scope and without a key', async () => {
    expect((await run(['verify', key, '--scope', 'not a scope'])).code).toBe(2);
    expect((await run(['verify'])).code).toBe(2);
  });
});

/** Characters a terminal acts on: every control (C0 but the newline, DEL, C1) and bidi override. */
function rawControls(text: string): string[] {
  return [...text.matchAll(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu)]
    .map((m) => m[0])
    .filter((char) => char !== '\n');
}

describe('keyward output with control characters (terminal escapes)', () => {
  const { run, env } = workspace();
  // An OSC 52 clipboard write, a clear screen, a C1 CSI, a right-to-left override, a forged line.
  const hostile =
    'x\u001b]52;c;ZXZpbA==\u0007\u001b[2J\u009b31m\u202egnp.exe\nscopes       admin:*\u007f';
  const escaped =
    'x\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J\\x9b31m\\u202egnp.exe\\nscopes       admin:*\\x7f';
  let active = { key: '', id: '' };
  let revoked = { key: '', id: '' };

  beforeAll(async () => {
    active = await createKey(run, ['--owner', 'acct_esc']);
    revoked = await createKey(run, ['--owner', 'acct_esc']);
    expect((await run(['revoke', revoked.id, '--reason', 'placeholder'])).code).toBe(0);
    // Records written before keyward refused control characters, or by another tool.
    const store = new SqliteStore({ path: env.KEYWARD_DB });
    const db = store.database;
    try {
      db.prepare('UPDATE keyward_keys SET name = ?, metadata = ? WHERE id = ?').run(
        hostile,
        JSON.stringify({ note: hostile }),
        active.id,
      );
      db.prepare('UPDATE keyward_keys SET revoked_reason = ? WHERE id = ?').run(
        hostile,
        revoked.id,
      );
    } finally {
      store.close();
    }
  });

  it('list escapes them in the table and the name keeps one row', async () => {
    const result = await run(['list', '--owner', 'acct_esc']);
    expect(result.code, result.stderr).toBe(0);
    expect(rawControls(result.stdout)).toStrictEqual([]);
    expect(result.stdout).toContain(escaped);
    expect(result.stdout.trimEnd().split('\n')).toHaveLength(3);
  });

  it('show escapes them in the name, metadata and revoke reason', async () => {
    const shown = await run(['show', active.id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(rawControls(shown.stdout)).toStrictEqual([]);
    expect(shown.stdout).toMatch(/^name\s+x\\x1b\]52;c;/m);
    expect(shown.stdout.match(/^scopes/gm)).toHaveLength(1);
    expect(shown.stdout).toMatch(/^metadata\s+\{"note":"x\\u001b\]52;c;.*\\x9b31m\\u202egnp/m);
    const reason = await run(['show', revoked.id]);
    expect(rawControls(reason.stdout)).toStrictEqual([]);
    expect(reason.stdout).toMatch(/^revoked reason\s+x\\x1b\]52;c;/m);
  });

  it('verify escapes them in the accepted key’s name', async () => {
    const result = await run(['verify', active.key]);
    expect(result.code, result.stderr).toBe(0);
    expect(rawControls(result.stdout)).toStrictEqual([]);
    expect(result.stdout).toContain(escaped);
  });

  it('--json escapes DEL, C1 and bidi controls too and still parses to the exact text', async () => {
    for (const args of [
      ['show', active.id, '--json'],
      ['show', revoked.id, '--json'],
      ['list', '--owner', 'acct_esc', '--json'],
      ['verify', active.key, '--json'],
    ]) {
      const result = await run(args);
      expect(rawControls(result.stdout), args.join(' ')).toStrictEqual([]);
    }
    const shown = json(await run(['show', active.id, '--json']));
    expect(shown.name).toBe(hostile);
    expect(shown.metadata).toStrictEqual({ note: hostile });
    expect(json(await run(['show', revoked.id, '--json'])).revokedReason).toBe(hostile);
  });

  it('an error message echoing a flag value escapes them', async () => {
    const result = await run(['create', '--name', 'x', '--ip', '10.0.0.1/8\u001b[2J\u009b']);
    expect(result.code).toBe(2);
    expect(rawControls(result.stderr)).toStrictEqual([]);
    expect(result.stderr).toContain('\\x1b[2J\\x9b');
  });

  it.each([
    ['create', ['create', '--name', 'evil\u001b[2J']],
    ['update', ['update', '<id>', '--name', 'evil\u009b2J']],
    ['revoke', ['revoke', '<id>', '--reason', 'gone\u001b]52;c;eA==\u0007']],
  ])('%s refuses control characters in a name or reason (exit 2)', async (_name, args) => {
    const id = (await createKey(run)).id;
    const result = await run(args.map((arg) => (arg === '<id>' ? id : arg)));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/name|reason/);
    expect(rawControls(result.stderr)).toStrictEqual([]);
    expect(json(await run(['show', id, '--json']))).toMatchObject({ name: 'test key', version: 1 });
  });
});

describe('keyward scan', () => {
  const { run, cwd } = workspace();
  let key = '';
  let id = '';

  beforeAll(async () => {
    ({ key, id } = await createKey(run));
  });

  function plantTree(name: string, files: Record<string, string | Buffer>): string {
    const base = join(cwd, name);
    for (const [path, content] of Object.entries(files)) {
      const full = join(base, path);
      mkdirSync(join(full, '..'), { recursive: true });
      writeFileSync(full, content);
    }
    return name;
  }

  const lookalike = () => {
    const last = key.at(-1) === 'a' ? 'b' : 'a';
    return key.slice(0, -1) + last;
  };

  it('finds a planted key, prints file:line:col redacted, and exits 1', async () => {
    const tree = plantTree('tree', {
      'src/config.ts': `// settings\nexport const apiKey = "${key}";\n`,
      'README.md': 'nothing here\n',
      'node_modules/pkg/index.js': `module.exports = '${key}';\n`,
      '.git/config': `${key}\n`,
      'image.bin': Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(key)]),
    });
    const result = await run(['scan', tree], { env: {} });
    expect(result.code).toBe(1);
    expect(result.stdout.trim().split('\n')).toStrictEqual([
      `${join(tree, 'src/config.ts')}:2:24: acme_live_${id}_…`,
    ]);
    expect(result.stdout + result.stderr).not.toContain(key);
    expect(result.stdout + result.stderr).not.toContain(key.slice(25));
  });

  it('needs no store, prefix or database', async () => {
    const tree = plantTree('bare', { 'a.env': `KEY=${key}\n` });
    const result = await runBin(['scan', tree], { cwd, env: {} });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`a.env:1:5: acme_live_${id}_…`);
  });

  it('ignores a look-alike whose checksum is wrong, and exits 0 when clean', async () => {
    const tree = plantTree('clean', { 'fake.txt': `token: ${lookalike()}\n` });
    const result = await run(['scan', tree]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/no keyward keys found/);
  });

  it('limits to --prefix and reads stdin with -', async () => {
    const tree = plantTree('prefixed', { 'k.txt': key });
    expect((await run(['scan', tree, '--prefix', 'other'])).code).toBe(0);
    expect((await run(['scan', tree, '--prefix', 'acme'])).code).toBe(1);
    const stdin = await run(['scan', '-'], { input: `one\ntwo ${key}\n` });
    expect(stdin.code).toBe(1);
    expect(stdin.stdout).toContain(`<stdin>:2:5: acme_live_${id}_…`);
  });

  it('escapes control characters in file names it reports', async () => {
    const tree = plantTree('esc', { 'a\u001b]0;pwned\u0007\u009b.txt': `${key}\n` });
    const result = await run(['scan', tree]);
    expect(result.code).toBe(1);
    expect(rawControls(result.stdout + result.stderr)).toStrictEqual([]);
    expect(result.stdout).toContain('a\\x1b]0;pwned\\x07\\x9b.txt:1:1: ');
  });

  it('scans a single file and exits 2 for a missing path', async () => {
    plantTree('single', { 'one.txt': key });
    expect((await run(['scan', join('single', 'one.txt')])).code).toBe(1);
    const missing = await run(['scan', 'does-not-exist']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does-not-exist');
  });
});
