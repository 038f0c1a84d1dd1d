import express5, { type Request, type Response } from 'express';
import express4 from 'express4';
import { listenOnLoopback } from '../../../test-support/adapter-cases.js';
import { describeRouteCases } from '../../../test-support/route-cases.js';
import { apiKeyAuth } from './api-key-auth.js';

type ExpressFactory = typeof express5;

const show = (handler: string) => (req: Request, res: Response) => {
  res.json({ keyId: req.apiKey?.id, handler });
};

for (const [name, express] of [
  ['express 5', express5],
  ['express 4', express4 as unknown as ExpressFactory],
] as const) {
  describeRouteCases({
    name,
    // `app.use('/api', …)` runs before any route matched: keyward sees the raw request target.
    routing: 'path',
    start(keyward) {
      const app = express();
      app.use('/api', apiKeyAuth(keyward));
      app.get('/api/public/:name', show('public'));
      app.get('/api/private/:name', show('private'));
      app.get('/browser/:name', apiKeyAuth(keyward, { keyType: 'publishable' }), show('browser'));
      return listenOnLoopback(app);
    },
  });
}
