import type { AddressInfo } from 'node:net';
import fastify5, { type FastifyRequest } from 'fastify';
import fastify4 from 'fastify4';
import { describeRouteCases } from '../../../test-support/route-cases.js';
import { apiKeyAuth } from './api-key-auth.js';

type FastifyFactory = typeof fastify5;

const show = (handler: string) => async (request: FastifyRequest) => ({
  keyId: request.apiKey?.id,
  handler,
});

for (const [name, fastify] of [
  ['fastify 5', fastify5],
  ['fastify 4', fastify4 as unknown as FastifyFactory],
] as const) {
  describeRouteCases({
    name,
    // The plugin hooks each route: keyward always gets the route's template.
    routing: 'template',
    async start(keyward) {
      const app = fastify();
      await app.register(apiKeyAuth, { keyward });
      app.get('/api/public/:name', show('public'));
      app.get('/api/private/:name', show('private'));
      app.get(
        '/browser/:name',
        { config: { apiKey: { keyType: 'publishable' } } },
        show('browser'),
      );
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
    },
  });
}
