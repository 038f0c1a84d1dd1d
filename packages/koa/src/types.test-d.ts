// Type tests, checked by `tsc` (pnpm typecheck): ctx.state.apiKey is typed without casts.
import type { KeyInfo, Keyward, RejectionCode } from '@keyward/core';
import Koa, { type Middleware } from 'koa';
import { expectTypeOf } from 'vitest';
import { type ApiKeyAuthOptions, apiKeyAuth } from './index.js';

declare const keyward: Keyward;

const app = new Koa();
app.use(apiKeyAuth(keyward, { scopes: ['invoices:read'] }));
app.use((ctx) => {
  expectTypeOf(ctx.state.apiKey).toEqualTypeOf<KeyInfo | undefined>();
  ctx.body = { id: ctx.state.apiKey?.id };
});

expectTypeOf(apiKeyAuth(keyward)).toEqualTypeOf<Middleware>();
expectTypeOf<ApiKeyAuthOptions['onReject']>()
  .parameter(0)
  .toHaveProperty('code')
  .toEqualTypeOf<RejectionCode>();

apiKeyAuth(keyward, { onReject: (result, ctx) => ctx.throw(result.status) });
// @ts-expect-error cost is a number
apiKeyAuth(keyward, { cost: '2' });
// @ts-expect-error onReject is a function
apiKeyAuth(keyward, { onReject: 'no' });
