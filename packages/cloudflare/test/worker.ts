// The Worker the tests run in workerd (bundled by esbuild, served by miniflare). Node drives the
// stores through `POST /call`: each call builds its store from `env`, as a Worker would, runs
// one method in workerd and answers its value or its error's code. `/keyward/*` runs keyward
// itself on these stores; `/object/*` sends a raw body to an object (protocol tests).

import {
  DurableObjectKeyStore,
  DurableObjectLimitStore,
  type DurableObjectNamespaceBinding,
  KvKeyStore,
  type KvNamespaceBinding,
} from '@keyward/cloudflare';
import { createKeyward, type Keyward } from '@keyward/core';

export { KeywardKeys, KeywardLimits } from '@keyward/cloudflare';

interface Env {
  KEYS: KvNamespaceBinding;
  KEY_OBJECTS: DurableObjectNamespaceBinding;
  LIMITS: DurableObjectNamespaceBinding;
}

type StoreKind = 'kv' | 'do' | 'limits';

function store(env: Env, kind: StoreKind): Record<string, (...args: unknown[]) => unknown> {
  const built =
    kind === 'kv'
      ? new KvKeyStore({ namespace: env.KEYS })
      : kind === 'do'
        ? new DurableObjectKeyStore({ namespace: env.KEY_OBJECTS })
        : new DurableObjectLimitStore({ namespace: env.LIMITS });
  return built as unknown as Record<string, (...args: unknown[]) => unknown>;
}

/** One keyward per key store and cache TTL, kept for the isolate's life like a real Worker's. */
const keywards = new Map<string, Keyward>();

function keywardOn(env: Env, kind: 'kv' | 'do', cacheTtlMs: number): Keyward {
  const name = `${kind}:${cacheTtlMs}`;
  let keyward = keywards.get(name);
  if (keyward === undefined) {
    keyward = createKeyward({
      prefix: 'acme',
      keyStore:
        kind === 'kv'
          ? new KvKeyStore({ namespace: env.KEYS })
          : new DurableObjectKeyStore({ namespace: env.KEY_OBJECTS }),
      limitStore: new DurableObjectLimitStore({ namespace: env.LIMITS }),
      cache: { ttlMs: cacheTtlMs },
    });
    keywards.set(name, keyward);
  }
  return keyward;
}

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });

async function run(action: () => unknown): Promise<Response> {
  try {
    return json({ value: await action() });
  } catch (error) {
    const { code, name } = error as { code?: unknown; name?: unknown };
    return json({ error: { code, name } });
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const path = new URL(request.url).pathname;
    const body = (await request.json()) as Record<string, unknown>;
    if (path === '/call') {
      const target = store(env, body.store as StoreKind);
      const method = target[body.method as string];
      if (typeof method !== 'function') return json({ error: { code: 'no_such_method' } }, 400);
      return run(() => method.apply(target, body.args as unknown[]));
    }
    if (path.startsWith('/keyward/')) {
      const keyward = keywardOn(env, body.store as 'kv' | 'do', (body.cacheTtlMs as number) ?? 0);
      switch (path) {
        case '/keyward/create':
          return run(async () => {
            const issued = await keyward.create(body.options as Parameters<Keyward['create']>[0]);
            return { key: issued.key, id: issued.record.id };
          });
        case '/keyward/revoke':
          return run(() => keyward.revoke(body.id as string));
        case '/keyward/verify':
          return run(async () => {
            const result = await keyward.verify({
              headers: { authorization: `Bearer ${body.key as string}` },
            });
            return result.ok
              ? { ok: true, headers: result.headers }
              : { ok: false, code: result.code, status: result.status, headers: result.headers };
          });
      }
    }
    if (path.startsWith('/object/')) {
      const namespace = body.binding === 'LIMITS' ? env.LIMITS : env.KEY_OBJECTS;
      const stub = namespace.get(namespace.idFromName(body.name as string)) as unknown as {
        fetch(url: string, init: RequestInit): Promise<Response>;
      };
      const response = await stub.fetch(`https://keyward/${path.slice('/object/'.length)}`, {
        method: (body.method as string | undefined) ?? 'POST',
        ...(body.raw === undefined ? {} : { body: body.raw as string }),
      });
      return json({ value: { status: response.status, body: await response.text() } });
    }
    return json({ error: { code: 'not_found' } }, 404);
  },
};
