// A Cloudflare Worker guarded by keyward. Keys live in Workers KV (read at the edge), every key's
// token bucket and quota in its own Durable Object (atomic across all locations). See
// docs/cloudflare.md for what each store promises.
//
//   GET  /invoices             needs a key with invoices:read
//   POST /invoices             needs invoices:write, costs 5 tokens
//   POST /admin/keys           x-admin-token: <ADMIN_TOKEN>; body { name, scopes?, rateLimit?, quota? } → the key, once
//   DELETE /admin/keys/<id>    x-admin-token: <ADMIN_TOKEN>; revokes
import {
  DurableObjectLimitStore,
  type DurableObjectNamespaceBinding,
  KvKeyStore,
  type KvNamespaceBinding,
} from '@keyward/cloudflare';
import { type CreateKeyOptions, createKeyward, type Keyward } from '@keyward/core';
import { verifyRequest } from '@keyward/fetch';

export { KeywardLimits } from '@keyward/cloudflare';

export interface Env {
  KEYS: KvNamespaceBinding;
  LIMITS: DurableObjectNamespaceBinding;
  /** A secret (`wrangler secret put ADMIN_TOKEN`); the admin routes are off without it. */
  ADMIN_TOKEN?: string;
}

/** One keyward per isolate: its record cache then serves every request the isolate handles. */
let keyward: Keyward | undefined;

function keywardFor(env: Env): Keyward {
  keyward ??= createKeyward({
    prefix: 'acme',
    environments: ['live', 'test'],
    keyStore: new KvKeyStore({ namespace: env.KEYS }),
    limitStore: new DurableObjectLimitStore({ namespace: env.LIMITS }),
  });
  return keyward;
}

const json = (value: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(value), {
    status,
    headers: { ...headers, 'content-type': 'application/json' },
  });

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** Compares the admin token in constant time (over digests, so lengths do not leak either). */
async function isAdmin(request: Request, env: Env): Promise<boolean> {
  const given = request.headers.get('x-admin-token');
  if (!env.ADMIN_TOKEN || given === null) return false;
  const [a, b] = await Promise.all([digest(given), digest(env.ADMIN_TOKEN)]);
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

async function admin(request: Request, env: Env, path: string): Promise<Response> {
  if (!(await isAdmin(request, env))) return json({ code: 'admin_token_required' }, 401);
  const keys = keywardFor(env);
  if (request.method === 'POST' && path === '/admin/keys') {
    let options: CreateKeyOptions;
    try {
      options = (await request.json()) as CreateKeyOptions;
      const { key, record } = await keys.create(options);
      return json({ key, id: record.id }, 201);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'invalid_options' || error instanceof SyntaxError) {
        return json({ code: 'invalid_options' }, 400);
      }
      throw error;
    }
  }
  const id = /^\/admin\/keys\/([A-Za-z0-9]{12})$/.exec(path)?.[1];
  if (request.method === 'DELETE' && id !== undefined) {
    try {
      await keys.revoke(id);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'key_not_found') {
        return json({ code: 'key_not_found' }, 404);
      }
      throw error;
    }
    return new Response(null, { status: 204 });
  }
  return json({ code: 'not_found' }, 404);
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path.startsWith('/admin/')) return admin(request, env, path);
    if (path === '/invoices') {
      const write = request.method === 'POST';
      // The client IP is the one Cloudflare's edge saw (a Worker never sees a socket).
      const ip = (req: Request) => req.headers.get('cf-connecting-ip');
      const result = await verifyRequest(
        keywardFor(env),
        request,
        write ? { scopes: ['invoices:write'], cost: 5, ip } : { scopes: ['invoices:read'], ip },
      );
      if (!result.ok) return result.response;
      return write
        ? json({ created: true, by: result.key.name }, 201, result.headers)
        : json(
            { invoices: [{ id: 'inv_1', total: 4200 }], by: result.key.name },
            200,
            result.headers,
          );
    }
    return json({ code: 'not_found' }, 404);
  },
};
