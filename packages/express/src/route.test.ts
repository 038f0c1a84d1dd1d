import express5 from 'express';
import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import { listenOnLoopback, send } from '../../../test-support/adapter-cases.js';
import { recordedRoutes, usageKeyward } from '../../../test-support/usage-routes.js';
import { apiKeyAuth } from './api-key-auth.js';

type ExpressFactory = typeof express5;

describe.each([
  ['express 5', express5],
  ['express 4', express4 as unknown as ExpressFactory],
])('%s: the route usage is grouped by', (_name, express) => {
  it('is the matched template with its mount path, never the URL; unknown ("") under app.use', async () => {
    const { keyward, key, keyId } = await usageKeyward();
    const app = express();
    const router = express.Router();
    router.get('/invoices/:id', apiKeyAuth(keyward), (_req, res) => {
      res.send('ok');
    });
    router.post('/invoices', apiKeyAuth(keyward), (_req, res) => {
      res.send('ok');
    });
    app.use('/api', router);
    app.use('/v2', apiKeyAuth(keyward), (_req, res) => {
      res.send('ok');
    });
    app.get(/^\/re\/\d+$/, apiKeyAuth(keyward), (_req, res) => {
      res.send('ok');
    });
    const running = await listenOnLoopback(app);
    try {
      const auth = { authorization: `Bearer ${key}` };
      expect((await send(`${running.url}/api/invoices/42?x=1`, auth)).status).toBe(200);
      expect((await send(`${running.url}/api/invoices/43`, auth)).status).toBe(200);
      expect((await send(`${running.url}/v2/anything/7`, auth)).status).toBe(200);
      expect((await send(`${running.url}/re/12`, auth)).status).toBe(200);
      const post = await fetch(`${running.url}/api/invoices`, { method: 'POST', headers: auth });
      expect(post.status).toBe(200);
      expect(await recordedRoutes(keyward, keyId)).toEqual({
        'GET /api/invoices/:id': 2,
        'POST /api/invoices': 1,
        '': 2,
      });
    } finally {
      await running.close();
      await keyward.close();
    }
  });
});
