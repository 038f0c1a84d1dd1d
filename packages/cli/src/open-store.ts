import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  createKeyward,
  type InvalidationChannel,
  type KeyStore,
  type Keyward,
  type KeywardOptions,
  type LimitStore,
  MemoryStore,
} from '@keyward/core';
import { CliError, usageError } from './cli-error.js';
import { type CliIo, type FlagValues, stringFlag } from './command.js';
import { EXIT_CODES } from './exit-codes.js';
import { isEnvironmentName } from './key-options.js';
import { warnIfShared } from './private-file.js';
import { quoteArgument } from './quote-argument.js';
import { splitList } from './values.js';

/** A keyward instance over the store the flags name, and how to let go of it. */
export interface OpenedKeyward {
  readonly keyward: Keyward;
  readonly describe: string;
  close(): Promise<void>;
}

type Pepper = KeywardOptions['pepper'];

/** `--prefix` or `KEYWARD_PREFIX`; required for every command but `scan`. */
export function resolvePrefix(values: FlagValues, env: CliIo['env']): string {
  const prefix = stringFlag(values, 'prefix') ?? env.KEYWARD_PREFIX;
  if (prefix === undefined || prefix === '') {
    throw usageError('missing prefix: pass --prefix <prefix> or set KEYWARD_PREFIX');
  }
  if (!/^[a-z][a-z0-9]{1,15}$/.test(prefix)) {
    throw usageError(`prefix ${quoteArgument(prefix)} must match [a-z][a-z0-9]{1,15}`);
  }
  return prefix;
}

/** The pepper text from `--pepper-file` (`-`: standard input), without its trailing line breaks. */
async function readPepperFile(file: string, io: CliIo): Promise<string> {
  let text: string;
  if (file === '-') {
    text = await io.readStdin();
  } else {
    const path = resolve(io.cwd, file);
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      throw usageError(`--pepper-file: cannot read ${path} (${String(code ?? 'error')})`);
    }
  }
  const pepper = text.replace(/[\r\n]+$/, '');
  if (pepper === '') {
    throw usageError(`--pepper-file: ${file === '-' ? 'standard input' : 'the file'} is empty`);
  }
  return pepper;
}

/**
 * `--pepper-file <path>` (`-` for standard input) or `KEYWARD_PEPPER`: a string, or JSON
 * `{ "current": "v2", "peppers": {…} }`. Never a command-line value (see `runCli`).
 */
export async function resolvePepper(values: FlagValues, io: CliIo): Promise<Pepper> {
  const file = stringFlag(values, 'pepper-file');
  const pepper = file === undefined ? io.env.KEYWARD_PEPPER : await readPepperFile(file, io);
  if (pepper === undefined || pepper === '') return undefined;
  if (!pepper.trimStart().startsWith('{')) return pepper;
  try {
    return JSON.parse(pepper) as Pepper;
  } catch {
    throw usageError(
      'pepper: looks like JSON but does not parse (expected {"current", "peppers"})',
    );
  }
}

function storeError(message: string): CliError {
  return new CliError(EXIT_CODES.store, message);
}

async function importOptional<T>(specifier: string, why: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw storeError(`${why} needs the package ${specifier}: npm install ${specifier}`);
    }
    throw error;
  }
}

interface Opened {
  store: KeyStore & Partial<LimitStore>;
  describe: string;
  close(): Promise<void>;
}

async function openSqlite(path: string, mayCreate: boolean, io: CliIo): Promise<Opened> {
  if (path !== ':memory:') {
    if (!mayCreate && !existsSync(path)) {
      throw storeError(
        `no keyward database at ${path} (create a key first, or pass --db / set KEYWARD_DB)`,
      );
    }
    // A file SqliteStore creates is 0600; one that exists keeps its mode, so say when it is open.
    warnIfShared(
      path,
      { holds: 'key hashes', fix: 'chmod 600 it and its -wal and -shm files' },
      io,
    );
  }
  const { SqliteStore } = await import('@keyward/sqlite');
  let store: InstanceType<typeof SqliteStore>;
  try {
    store = new SqliteStore({ path });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw storeError(`cannot open ${path}: ${message}`);
  }
  return { store, describe: path, close: async () => store.close() };
}

interface RedisModule {
  Redis?: new (url: string, options: object) => RedisClient;
  default?: new (url: string, options: object) => RedisClient;
}
interface RedisClient {
  readonly status: string;
  on(event: 'error', listener: (error: Error) => void): unknown;
  connect(): Promise<void>;
  quit(): Promise<unknown>;
  disconnect(): void;
}
interface StoreModule {
  RedisStore?: new (options: { client: RedisClient }) => KeyStore & Partial<LimitStore>;
  PostgresStore?: new (options: { pool: PgPool }) => KeyStore & Partial<LimitStore>;
  migrate?: (pool: PgPool) => Promise<void>;
}
interface PgPool {
  end(): Promise<void>;
}
interface PgModule {
  Pool?: new (options: object) => PgPool;
  default?: { Pool: new (options: object) => PgPool };
}

async function closeStore(store: unknown): Promise<void> {
  const close = (store as { close?: () => unknown } | null)?.close;
  if (typeof close === 'function') await close.call(store);
}

async function openRedis(url: string): Promise<Opened> {
  const keywardRedis = await importOptional<StoreModule>('@keyward/redis', 'a redis:// store');
  const ioredis = await importOptional<RedisModule>('ioredis', 'a redis:// store');
  const Redis = ioredis.Redis ?? ioredis.default;
  if (keywardRedis.RedisStore === undefined || Redis === undefined) {
    throw storeError('@keyward/redis or ioredis does not export what the CLI expects');
  }
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  client.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    await client.connect();
  } catch (error) {
    if (client.status !== 'end') client.disconnect();
    const reason = lastError ?? (error as Error);
    throw storeError(`cannot connect to Redis: ${reason.message.split('\n')[0]}`);
  }
  const store = new keywardRedis.RedisStore({ client });
  return {
    store,
    describe: 'redis',
    close: async () => {
      await closeStore(store);
      await client.quit().catch(() => client.disconnect());
    },
  };
}

async function openPostgres(url: string): Promise<Opened> {
  const keywardPostgres = await importOptional<StoreModule>(
    '@keyward/postgres',
    'a postgres:// store',
  );
  const pg = await importOptional<PgModule>('pg', 'a postgres:// store');
  const Pool = pg.Pool ?? pg.default?.Pool;
  const { PostgresStore, migrate } = keywardPostgres;
  if (PostgresStore === undefined || migrate === undefined || Pool === undefined) {
    throw storeError('@keyward/postgres or pg does not export what the CLI expects');
  }
  const pool = new Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5000 });
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end().catch(() => {});
    throw storeError(`cannot prepare PostgreSQL: ${(error as Error).message.split('\n')[0]}`);
  }
  const store = new PostgresStore({ pool });
  return {
    store,
    describe: 'postgres',
    close: async () => {
      await closeStore(store);
      await pool.end();
    },
  };
}

/**
 * The CLI publishes invalidations (so running APIs drop a revoked key at once) but never listens:
 * it runs one command, and a subscriber connection would only delay its exit.
 */
function publishOnly(store: unknown): InvalidationChannel | false {
  const channel = store as Partial<InvalidationChannel> | null;
  if (typeof channel?.publishInvalidation !== 'function') return false;
  return {
    publishInvalidation: (keyId) => channel.publishInvalidation!(keyId),
    subscribeInvalidations: () => () => {},
  };
}

/**
 * `--environments <a,b>` or `KEYWARD_ENVIRONMENTS`: the environments the deployment accepts
 * (what `verify` takes, and `create`'s default is the first); undefined: keyward's default,
 * live and test.
 */
export function resolveEnvironments(values: FlagValues, env: CliIo['env']): string[] | undefined {
  const flag = stringFlag(values, 'environments');
  const text = flag ?? env.KEYWARD_ENVIRONMENTS;
  if (text === undefined || text === '') return undefined;
  const source = flag === undefined ? 'KEYWARD_ENVIRONMENTS' : '--environments';
  const names = splitList([text]);
  if (names.length === 0) throw usageError(`${source}: give at least one environment`);
  for (const name of names) {
    if (!isEnvironmentName(name)) {
      throw usageError(
        `${source}: ${quoteArgument(name)} is not an environment name ([a-z][a-z0-9]{1,7}, not pk)`,
      );
    }
  }
  return names;
}

/**
 * `--publishable-scopes <a,b>` or `KEYWARD_PUBLISHABLE_SCOPES`: the scopes a publishable key may
 * hold (the deployment's `publishableScopes`); none by default.
 */
function resolvePublishableScopes(values: FlagValues, env: CliIo['env']): string[] | undefined {
  const text = stringFlag(values, 'publishable-scopes') ?? env.KEYWARD_PUBLISHABLE_SCOPES;
  return text === undefined || text === '' ? undefined : splitList([text]);
}

function storeUrl(values: FlagValues, env: CliIo['env']): string | undefined {
  const url = stringFlag(values, 'store') ?? env.KEYWARD_STORE;
  if (url === undefined || url === '') return undefined;
  if (stringFlag(values, 'db') !== undefined) {
    throw usageError('--db and --store cannot be used together');
  }
  return url;
}

/**
 * Opens the store the flags and environment name (SQLite by default) and builds a keyward
 * instance on it. Only `create` may create a missing SQLite file.
 */
export async function openKeyward(
  values: FlagValues,
  io: CliIo,
  mayCreate: boolean,
): Promise<OpenedKeyward> {
  const prefix = resolvePrefix(values, io.env);
  const environments = resolveEnvironments(values, io.env);
  const publishableScopes = resolvePublishableScopes(values, io.env);
  const pepper = await resolvePepper(values, io);
  const url = storeUrl(values, io.env);
  let opened: Opened;
  if (url === undefined) {
    const path = stringFlag(values, 'db') ?? io.env.KEYWARD_DB ?? './keyward.db';
    opened = await openSqlite(path === ':memory:' ? path : resolve(io.cwd, path), mayCreate, io);
  } else if (/^rediss?:\/\//.test(url)) {
    opened = await openRedis(url);
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    opened = await openPostgres(url);
  } else {
    throw usageError('--store must be a redis://, rediss://, postgres:// or postgresql:// URL');
  }
  const { store } = opened;
  const limitStore: LimitStore =
    typeof store.takeToken === 'function' && typeof store.countQuota === 'function'
      ? (store as LimitStore)
      : new MemoryStore();
  let keyward: Keyward;
  try {
    keyward = createKeyward({
      prefix,
      pepper,
      ...(environments === undefined ? {} : { environments }),
      ...(publishableScopes === undefined ? {} : { publishableScopes }),
      keyStore: store,
      limitStore,
      invalidation: publishOnly(store),
      cache: { max: 0 },
      failedAttempts: false,
      storeTimeoutMs: 10_000,
    });
  } catch (error) {
    await opened.close();
    const message = (error as Error).message;
    throw usageError(
      message.startsWith('publishableScopes')
        ? `--publishable-scopes (or KEYWARD_PUBLISHABLE_SCOPES): ${message}`
        : message,
    );
  }
  return {
    keyward,
    describe: opened.describe,
    close: async () => {
      await keyward.close();
      await opened.close();
    },
  };
}
