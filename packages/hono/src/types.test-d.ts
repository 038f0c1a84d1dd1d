// Type tests, checked by `tsc` (pnpm typecheck): c.get('apiKey') is typed without casts.
import type { KeyInfo, Keyward, RejectionCode } from '@keyward/core';
import { Hono, type MiddlewareHandler } from 'hono';
import { getConnInfo } from 'hono/bun';
import { expectTypeOf } from 'vitest';
import { type ApiKeyAuthOptions, apiKeyAuth } from './index.js';

declare const keyward: Keyward;

const app = new Hono();
app.use('/api/*', apiKeyAuth(keyward, { getConnInfo }));
app.get('/api/invoices', apiKeyAuth(keyward, { scopes: ['invoices:read'] }), (c) => {
  expectTypeOf(c.get('apiKey')).toEqualTypeOf<KeyInfo>();
  return c.json({ id: c.get('apiKey').id });
});

expectTypeOf(apiKeyAuth(keyward)).toEqualTypeOf<MiddlewareHandler>();
expectTypeOf<
  Parameters<NonNullable<ApiKeyAuthOptions['onReject']>>[0]['code']
>().toEqualTypeOf<RejectionCode>();
apiKeyAuth(keyward, { ip: (c) => c.req.header('x-real-ip') });
// @ts-expect-error scopes are strings
apiKeyAuth(keyward, { scopes: [1] });
