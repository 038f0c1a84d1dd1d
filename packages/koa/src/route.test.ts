import { Router } from '@koa/router';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import { describe, expect, it } from 'vitest';
import { listenOnLoopback, send } from '../../../test-support/adapter-cases.js';
import { recordedRoutes, usageKeyward } from '../../../test-support/usage-routes.js';
import { apiKeyAuth } from './api-key-auth.js';

describe.each([
  ['koa 3', Koa3],
  ['koa 2', Koa2 as unknown as typeof Koa3],
])('%s with @koa/router: the route usage is grouped by', (_name, Koa) => {
  it('is @koa/router’s matched template with its prefix, never the URL; unknown ("") before routing', async () => {
    const { keyward, key, keyId } = await usageKeyward();
    const app = new Koa();
    const api = new Router({ prefix: '/api' });
    api.get('/invoices/:id', apiKeyAuth(keyward), (ctx) => {
      ctx.body = 'ok';
    });
    api.use('/admin', apiKeyAuth(keyward));
    api.get('/admin/users/:id', (ctx) => {
      ctx.body = 'ok';
    });
    const open = new Router();
    open.use(apiKeyAuth(keyward));
    open.get('/open/:id', (ctx) => {
      ctx.body = 'ok';
    });
    const before = new Koa();
    before.use(apiKeyAuth(keyward));
    before.use((ctx) => {
      ctx.body = 'ok';
    });
    app.use(api.routes());
    app.use(open.routes());
    const running = await listenOnLoopback(app.callback());
    const unrouted = await listenOnLoopback(before.callback());
    try {
      const auth = { authorization: `Bearer ${key}` };
      expect((await send(`${running.url}/api/invoices/42?x=1`, auth)).status).toBe(200);
      expect((await send(`${running.url}/api/admin/users/7`, auth)).status).toBe(200);
      expect((await send(`${running.url}/open/9`, auth)).status).toBe(200);
      expect((await send(`${unrouted.url}/anything/5`, auth)).status).toBe(200);
      expect(await recordedRoutes(keyward, keyId)).toEqual({
        'GET /api/invoices/:id': 1,
        'GET /api/admin': 1,
        '': 2,
      });
    } finally {
      await running.close();
      await unrouted.close();
      await keyward.close();
    }
  });
});
