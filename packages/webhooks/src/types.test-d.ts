// Type tests, checked by `tsc` (pnpm typecheck): what each receiver hands the route is typed
// without casts, and signWebhook's headers fit every header record.
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { expectTypeOf } from 'vitest';
import { webhookAuth as expressWebhookAuth, type ReceivedWebhook } from './express/index.js';
import { webhookAuth as fastifyWebhookAuth } from './fastify/index.js';
import {
  signWebhook,
  type VerifyWebhookResult,
  verifyWebhook,
  type WebhookDelivery,
  WebhookSender,
  type WebhookVerifyCode,
} from './index.js';
import { webhookAuth as koaWebhookAuth } from './koa/index.js';

declare const secret: string;

const app = express();
app.post('/webhooks', expressWebhookAuth({ secrets: [secret] }), (req, res) => {
  expectTypeOf(req.webhook).toEqualTypeOf<ReceivedWebhook | undefined>();
  res.json({ id: req.webhook?.id, at: req.webhook?.timestamp });
});
// @ts-expect-error secrets is required
expressWebhookAuth({});

const koa = new Koa();
koa.use(koaWebhookAuth({ secrets: secret, seenIds: false }));
koa.use((ctx) => {
  expectTypeOf(ctx.state.webhook).toEqualTypeOf<ReceivedWebhook | undefined>();
});

const fastify = Fastify();
await fastify.register(fastifyWebhookAuth, { secrets: [secret] });
fastify.post('/health', { config: { webhook: false } }, async () => 'ok');
fastify.post('/webhooks', async (request) => {
  expectTypeOf(request.webhook).toEqualTypeOf<ReceivedWebhook | undefined>();
  return { id: request.webhook?.id };
});

const headers = signWebhook({ secret, id: 'msg_1', body: '{}' });
const asRecord: Record<string, string> = headers;
await fetch('https://example.com/', { method: 'POST', headers, body: '{}' });
const result = verifyWebhook({ secrets: secret, headers: asRecord, body: '{}' });
expectTypeOf(result).toEqualTypeOf<VerifyWebhookResult>();
if (!result.ok) expectTypeOf(result.code).toEqualTypeOf<WebhookVerifyCode>();

const delivery = new WebhookSender({ url: 'https://example.com/', secret }).send('{}');
expectTypeOf(delivery).toEqualTypeOf<Promise<WebhookDelivery>>();
