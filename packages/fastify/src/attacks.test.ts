import type { AddressInfo } from 'node:net';
import Fastify5, { type FastifyRequest } from 'fastify';
import Fastify4 from 'fastify4';
import { type AttackHarness, describeAttackCases } from '../../../test-support/attack-cases.js';
import { apiKeyAuth } from './api-key-auth.js';

type FastifyFactory = typeof Fastify5;

const showKey = async (request: FastifyRequest) => ({ keyId: request.apiKey?.id });

function harness(name: string, fastify: FastifyFactory): AttackHarness {
  return {
    name,
    async start(keyward, { trustOneProxy, host }) {
      // Fastify 5 refuses hop counts (a numeric trustProxy trusts nobody); trust the proxy's address.
      const app = fastify({ trustProxy: trustOneProxy ? '127.0.0.1' : false });
      await app.register(apiKeyAuth, { keyward, scopes: ['items:read'] });
      app.get('/open', { config: { apiKey: false } }, async () => 'open');
      app.get('/read', showKey);
      await app.listen({ port: 0, host });
      const { port } = app.server.address() as AddressInfo;
      const shown = host === '::' ? '[::1]' : host;
      return { url: `http://${shown}:${port}`, close: () => app.close() };
    },
  };
}

describeAttackCases(harness('fastify 5', Fastify5), { fuzzRuns: 300 });
describeAttackCases(harness('fastify 4', Fastify4 as unknown as FastifyFactory), { fuzzRuns: 150 });
