// Type tests, checked by `tsc` (pnpm typecheck): request.apiKey and route config are typed.
import type { KeyInfo, Keyward, RejectionCode } from '@keyward/core';
import Fastify, { type FastifyContextConfig } from 'fastify';
import { expectTypeOf } from 'vitest';
import { type ApiKeyAuthPluginOptions, apiKeyAuth, type RouteApiKeyOptions } from './index.js';

declare const keyward: Keyward;

export async function build() {
  const app = Fastify();
  await app.register(apiKeyAuth, { keyward, scopes: ['invoices:read'] });
  app.get('/invoices', async (request) => {
    expectTypeOf(request.apiKey).toEqualTypeOf<KeyInfo | undefined>();
    return { id: request.apiKey?.id };
  });
  app.get('/admin', { config: { apiKey: { scopes: ['invoices:admin'], cost: 2 } } }, async () => 1);
  app.get('/health', { config: { apiKey: false } }, async () => 'ok');
  const open: FastifyContextConfig = { apiKey: false };
  // @ts-expect-error config.apiKey is options or false
  const wrong: FastifyContextConfig = { apiKey: true };
  expectTypeOf(open.apiKey).toEqualTypeOf<RouteApiKeyOptions | false | undefined>();
  // @ts-expect-error the keyward instance is required
  await app.register(apiKeyAuth, { scopes: ['invoices:read'] });
  await app.register(apiKeyAuth, {
    keyward,
    onReject: (result, _request, reply) => reply.code(result.status).send({ error: result.code }),
  });
  expectTypeOf<ApiKeyAuthPluginOptions['onReject']>()
    .parameter(0)
    .toHaveProperty('code')
    .toEqualTypeOf<RejectionCode>();
  return { app, wrong };
}
