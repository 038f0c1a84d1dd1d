// Type tests, checked by `tsc` (pnpm typecheck): the guarded handler keeps the runtime's
// signature, and `ip`/`onReject` take the handler's other arguments.
import type { KeyInfo, Keyward, MaybePromise } from '@keyward/core';
import { expectTypeOf } from 'vitest';
import { getApiKey, type RequestVerification, verifyRequest, withApiKey } from './index.js';

declare const keyward: Keyward;
interface Server {
  requestIP(request: Request): { address: string } | null;
}
interface Env {
  readonly KEYS: unknown;
}

// Bun: the handler takes the server; the ip function reads it.
const bun = withApiKey(
  (request: Request, _server: Server) => new Response(getApiKey(request)?.id),
  keyward,
  {
    ip: (request, server: Server) => server.requestIP(request)?.address,
  },
);
expectTypeOf(bun).toEqualTypeOf<(request: Request, server: Server) => MaybePromise<Response>>();

// A Worker: (request, env, ctx), the IP from the edge's header.
const worker = withApiKey(
  async (_request: Request, _env: Env, _ctx: unknown) => new Response(),
  keyward,
  {
    ip: (request) => request.headers.get('cf-connecting-ip'),
    onReject: (result) => Response.json({ error: result.code }, { status: result.status }),
  },
);
expectTypeOf(worker).parameters.toEqualTypeOf<[Request, Env, unknown]>();

expectTypeOf(getApiKey).returns.toEqualTypeOf<KeyInfo | undefined>();
expectTypeOf(verifyRequest(keyward, new Request('http://x/'))).toEqualTypeOf<
  MaybePromise<RequestVerification>
>();
// @ts-expect-error the ip option is a string or a function
withApiKey(() => new Response(), keyward, { ip: 42 });
