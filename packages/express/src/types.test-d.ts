// Type tests, checked by `tsc` (pnpm typecheck): req.apiKey is typed without casts.
import type { KeyInfo, Keyward } from '@keyward/core';
import express, { type RequestHandler } from 'express';
import { expectTypeOf } from 'vitest';
import { type ApiKeyAuthOptions, apiKeyAuth } from './index.js';

declare const keyward: Keyward;

const app = express();
app.use(apiKeyAuth(keyward));
app.get('/invoices', apiKeyAuth(keyward, { scopes: ['invoices:read'] }), (req, res) => {
  expectTypeOf(req.apiKey).toEqualTypeOf<KeyInfo | undefined>();
  const id: string | undefined = req.apiKey?.id;
  res.json({ id });
});

expectTypeOf(apiKeyAuth(keyward)).toEqualTypeOf<RequestHandler>();
expectTypeOf<ApiKeyAuthOptions['onReject']>()
  .parameter(0)
  .toHaveProperty('code')
  .toEqualTypeOf<import('@keyward/core').RejectionCode>();

apiKeyAuth(keyward, {
  onReject: (result, _req, res, next) => {
    if (result.status === 503) next(new Error('auth down'));
    else res.status(result.status).set(result.headers).json({ error: result.code });
  },
});
// @ts-expect-error scopes are strings
apiKeyAuth(keyward, { scopes: [1] });
// @ts-expect-error onReject is a function
apiKeyAuth(keyward, { onReject: 'no' });
