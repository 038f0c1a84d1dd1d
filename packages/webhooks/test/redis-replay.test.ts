/**
 * Replay refusal shared by several processes' worth of receivers: an Express app and a Fastify
 * app, one RedisSeenIdStore prefix on a real Redis.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, redisAvailable } from '../../../test-support/services.js';
import { waitFor } from '../../../test-support/wait.js';
import { webhookAuth as expressWebhookAuth } from '../src/express/index.js';
import { webhookAuth as fastifyWebhookAuth } from '../src/fastify/index.js';
import { generateWebhookSecret, RedisSeenIdStore, signWebhook } from '../src/index.js';
import { post } from './http-client.js';
import { expectProblem, type RunningApp, serve } from './receiver-cases.js';

const available = await redisAvailable();

describe.skipIf(!available)('replays refused across receivers through Redis', () => {
  const secret = generateWebhookSecret();
  const prefix = `keyward-test:webhook-replay:${randomUUID()}:`;
  const clients = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    const [one, two] = clients as [Redis, Redis];
    const viaExpress = express();
    viaExpress.post(
      '/webhooks',
      expressWebhookAuth({
        secrets: secret,
        seenIds: new RedisSeenIdStore({ client: one, prefix }),
      }),
      (req, res) => {
        res.status(req.headers['x-test-fail'] === '1' ? 500 : 200).json({ id: req.webhook?.id });
      },
    );
    apps.push(await serve(viaExpress));
    const viaFastify = Fastify();
    await viaFastify.register(fastifyWebhookAuth, {
      secrets: secret,
      seenIds: new RedisSeenIdStore({ client: two, prefix }),
    });
    viaFastify.post('/webhooks', async (request) => ({ id: request.webhook?.id }));
    await viaFastify.listen({ port: 0, host: '127.0.0.1' });
    const { port } = viaFastify.server.address() as AddressInfo;
    apps.push({ url: `http://127.0.0.1:${port}`, close: () => viaFastify.close() });
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    const keys = await clients[0]!.keys(`${prefix}*`);
    if (keys.length > 0) await clients[0]!.del(...keys);
    for (const client of clients) client.disconnect();
  });

  const body = '{"type":"revoked_key_used"}';
  const send = (app: RunningApp, headers: Record<string, string>) =>
    post(`${app.url}/webhooks`, {
      body,
      headers: { ...headers, 'content-type': 'application/json' },
    });

  it('refuses on one receiver a webhook the other accepted', async () => {
    const headers = signWebhook({ secret, id: `msg_${randomUUID()}`, body });
    expect((await send(apps[0]!, headers)).status).toBe(200);
    expectProblem(await send(apps[1]!, headers), 'replayed', 409);
    expectProblem(await send(apps[0]!, headers), 'replayed', 409);
  });

  it('lets one of two simultaneous deliveries of one id through', async () => {
    const headers = signWebhook({ secret, id: `msg_${randomUUID()}`, body });
    const answers = await Promise.all([send(apps[0]!, headers), send(apps[1]!, headers)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
  });

  it('processes on the other receiver the retry of a delivery whose handler failed', async () => {
    const id = `msg_${randomUUID()}`;
    const failed = await send(apps[0]!, {
      ...signWebhook({ secret, id, body }),
      'x-test-fail': '1',
    });
    expect(failed.status).toBe(500);
    // The id is deleted once the failed response has closed.
    let present = 1;
    const gone = await waitFor(
      () => present === 0,
      5000,
      async () => {
        present = await clients[0]!.exists(`${prefix}${id}`);
      },
    );
    expect(gone).toBe(true);
    expect((await send(apps[1]!, signWebhook({ secret, id, body }))).status).toBe(200);
  });
});
