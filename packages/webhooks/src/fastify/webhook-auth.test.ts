import type { AddressInfo } from 'node:net';
import Fastify5, { type FastifyInstance } from 'fastify';
import Fastify4 from 'fastify4';
import { afterEach, describe, expect, it } from 'vitest';
import { post } from '../../test/http-client.js';
import {
  describeReceiverCases,
  expectProblem,
  handlerView,
  type ReceiverHarness,
  type RunningApp,
} from '../../test/receiver-cases.js';
import { generateWebhookSecret } from '../secret.js';
import { signWebhook } from '../sign.js';
import { type FastifyWebhookAuthOptions, webhookAuth } from './webhook-auth.js';

type FastifyFactory = typeof Fastify5;

const versions: ReadonlyArray<[string, FastifyFactory]> = [
  ['fastify 5', Fastify5],
  ['fastify 4', Fastify4 as unknown as FastifyFactory],
];

async function listen(app: FastifyInstance): Promise<RunningApp> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** Accepts any content type as raw bytes (octet-stream, no type), as a webhook route may. */
function acceptAnyBody(app: FastifyInstance): void {
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}

function harness(name: string, fastify: FastifyFactory): ReceiverHarness {
  return {
    name,
    invalidJsonCode: undefined, // Fastify's own JSON parser answers it
    otherRouteParsesJson: true,
    async start({ customReject, ...options }) {
      const app = fastify({ logger: false });
      const pluginOptions: FastifyWebhookAuthOptions = {
        ...options,
        onReject: customReject
          ? (rejection, _request, reply) => reply.code(418).send({ custom: rejection.code })
          : undefined,
      };
      await app.register(async (hooks) => {
        await hooks.register(webhookAuth, pluginOptions);
        acceptAnyBody(hooks);
        hooks.post('/webhooks', async (request, reply) => {
          if (request.headers['x-test-fail'] === '1') return reply.code(500).send();
          return handlerView(request.webhook, request.body);
        });
      });
      app.post('/other', async (request) => ({ body: request.body }));
      return listen(app);
    },
  };
}

const secret = generateWebhookSecret();

for (const [name, fastify] of versions) {
  describeReceiverCases(harness(name, fastify));

  describe(`${name}: webhookAuth specifics`, () => {
    let running: RunningApp | undefined;
    afterEach(async () => {
      await running?.close();
      running = undefined;
    });
    const body = '{"type":"ping"}';
    const signed = () => ({
      ...signWebhook({ secret, id: `msg_${Math.random().toString(36).slice(2)}`, body }),
      'content-type': 'application/json',
    });

    it('leaves a route with config: { webhook: false } unverified', async () => {
      const app = fastify();
      await app.register(webhookAuth, { secrets: secret });
      app.post('/health', { config: { webhook: false } }, async () => ({ open: true }));
      app.post('/webhooks', async (request) => ({ id: request.webhook?.id }));
      running = await listen(app);
      const json = { 'content-type': 'application/json' };
      expect((await post(`${running.url}/health`, { body: '{}', headers: json })).status).toBe(200);
      expectProblem(await post(`${running.url}/webhooks`, { body: '{}' }), 'missing_headers', 400);
      expect((await post(`${running.url}/webhooks`, { body, headers: signed() })).status).toBe(200);
    });

    it('guards routes added before the plugin in the same context', async () => {
      const app = fastify();
      app.post('/early', async (request) => ({ id: request.webhook?.id }));
      await app.register(webhookAuth, { secrets: secret });
      running = await listen(app);
      expectProblem(await post(`${running.url}/early`, { body: '{}' }), 'missing_headers', 400);
    });

    it('leaves 404s to Fastify', async () => {
      const app = fastify();
      await app.register(webhookAuth, { secrets: secret });
      running = await listen(app);
      expect((await post(`${running.url}/nowhere`, { body: '{}' })).status).toBe(404);
    });

    it('hands a throwing onReject to the error handler', async () => {
      const app = fastify();
      await app.register(webhookAuth, {
        secrets: secret,
        onReject: () => {
          throw Object.assign(new Error('reject broke'), { statusCode: 502 });
        },
      });
      app.post('/webhooks', async () => 'unreachable');
      running = await listen(app);
      expect((await post(`${running.url}/webhooks`, { body })).status).toBe(502);
    });

    it('refuses bad options at registration', async () => {
      const app = fastify();
      await expect(app.register(webhookAuth, { secrets: [] }).ready()).rejects.toThrow(TypeError);
    });
  });
}
