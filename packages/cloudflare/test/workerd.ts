// Runs test/worker.ts in workerd through miniflare and gives Node proxies of the stores inside
// it: the conformance suite calls a proxy method, the proxy POSTs it to the Worker, and the real
// store runs there against miniflare's KV and Durable Objects.
import { fileURLToPath } from 'node:url';
import type { KeyRecord, KeyStore, LimitStore } from '@keyward/core';
import { build } from 'esbuild';
import { Miniflare, type WorkerOptions } from 'miniflare';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

let bundled: Promise<string> | undefined;

/** test/worker.ts and everything it imports (keyward's sources) as one ES module. */
export function workerScript(): Promise<string> {
  bundled ??= build({
    entryPoints: [here('./worker.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    alias: {
      '@keyward/core': here('../../core/src/index.ts'),
      '@keyward/cloudflare': here('../src/index.ts'),
    },
  }).then((result) => result.outputFiles[0]!.text);
  return bundled;
}

export const COMPATIBILITY_DATE = '2025-09-01';

/** One Worker of the test runtime; `owner` names the Worker whose Durable Object classes it binds. */
export async function testWorker(name: string, owner?: string): Promise<WorkerOptions> {
  const scriptName = owner === undefined ? {} : { scriptName: owner };
  return {
    name,
    modules: true,
    script: await workerScript(),
    compatibilityDate: COMPATIBILITY_DATE,
    kvNamespaces: { KEYS: 'keyward-test-keys' },
    durableObjects: {
      KEY_OBJECTS: { className: 'KeywardKeys', useSQLite: true, ...scriptName },
      LIMITS: { className: 'KeywardLimits', useSQLite: true, ...scriptName },
    },
  };
}

/** Something to POST to: a Worker from `mf.getWorker`, or the Miniflare instance itself. */
export interface WorkerEndpoint {
  fetch(url: string, init: { method: string; body: string }): Promise<{ json(): Promise<unknown> }>;
}

export function endpoint(mf: Miniflare, worker?: string): WorkerEndpoint {
  return {
    fetch: async (url, init) =>
      worker === undefined
        ? mf.dispatchFetch(url, init)
        : (await mf.getWorker(worker)).fetch(url, init),
  };
}

interface Answer {
  value?: unknown;
  error?: { code?: string; name?: string };
}

/** POSTs `body` to `path` of the Worker and returns its `{ value }`, or throws its `{ error }`. */
export async function post(worker: WorkerEndpoint, path: string, body: unknown): Promise<unknown> {
  const response = await worker.fetch(`http://keyward.test${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Answer;
  if (answer.error !== undefined) {
    const error = new Error(`${answer.error.name ?? 'Error'} in workerd`) as Error & {
      code?: string | undefined;
    };
    error.code = answer.error.code;
    throw error;
  }
  return answer.value;
}

function proxy<T extends object>(worker: WorkerEndpoint, store: string, methods: string[]): T {
  return Object.fromEntries(
    methods.map((method) => [
      method,
      (...args: unknown[]) => post(worker, '/call', { store, method, args }),
    ]),
  ) as T;
}

/** The KvKeyStore or DurableObjectKeyStore inside the Worker, seen from Node. */
export const remoteKeyStore = (worker: WorkerEndpoint, store: 'kv' | 'do'): KeyStore =>
  proxy(worker, store, ['getKey', 'insertKey', 'updateKey', 'listKeys']);

/** The DurableObjectLimitStore inside the Worker, seen from Node. */
export const remoteLimitStore = (worker: WorkerEndpoint): LimitStore =>
  proxy(worker, 'limits', ['takeToken', 'countQuota']);

/** A miniflare running one test Worker (or several sharing its KV and objects). */
export async function startWorkers(names: string[] = ['main']): Promise<Miniflare> {
  const [first, ...rest] = names;
  const workers = [await testWorker(first!)];
  for (const name of rest) workers.push(await testWorker(name, first));
  const mf = new Miniflare({ workers });
  await mf.ready;
  return mf;
}

/** A fresh random key id (12 characters, like keyward's). */
export const randomId = () => globalThis.crypto.randomUUID().replaceAll('-', '').slice(0, 12);

/** A minimal key record with a new random id. */
export function testRecord(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: randomId(),
    environment: 'live',
    name: 'test key',
    hash: 'sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
    scopes: [],
    disabled: false,
    createdAt: 1,
    updatedAt: 1,
    version: 1,
    ...overrides,
  };
}

/** The `code` of the error `action` rejects with, or undefined when it resolves. */
export async function codeOf(action: unknown): Promise<string | undefined> {
  try {
    await action;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}
