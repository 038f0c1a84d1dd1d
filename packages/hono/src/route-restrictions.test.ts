import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { listenOnLoopback } from '../../../test-support/adapter-cases.js';
import { describeRouteCases } from '../../../test-support/route-cases.js';
import { apiKeyAuth } from './api-key-auth.js';

describeRouteCases({
  name: 'hono on node',
  // Hono routes on the Request's WHATWG URL; the middleware gives keyward that URL's path.
  routing: 'url',
  start(keyward) {
    const app = new Hono();
    app.use('/api/*', apiKeyAuth(keyward));
    for (const handler of ['public', 'private']) {
      app.get(`/api/${handler}/:name`, (c) => c.json({ keyId: c.get('apiKey').id, handler }));
    }
    app.get('/browser/:name', apiKeyAuth(keyward, { keyType: 'publishable' }), (c) =>
      c.json({ keyId: c.get('apiKey').id, handler: 'browser' }),
    );
    return listenOnLoopback(getRequestListener(app.fetch));
  },
});
