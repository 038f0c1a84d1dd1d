import express5, { type ErrorRequestHandler } from 'express';
import express4 from 'express4';
import { afterEach, describe, expect, it } from 'vitest';
import { post } from '../../test/http-client.js';
import {
  describeReceiverCases,
  expectProblem,
  handlerView,
  type ReceiverHarness,
  type RunningApp,
  serve,
} from '../../test/receiver-cases.js';
import { generateWebhookSecret } from '../secret.js';
import { signWebhook } from '../sign.js';
import { webhookAuth } from './webhook-auth.js';

type ExpressFactory = typeof express5;

const versions: ReadonlyArray<[string, ExpressFactory]> = [
  ['express 5', express5],
  ['express 4', express4 as unknown as ExpressFactory],
];

function harness(name: string, express: ExpressFactory): ReceiverHarness {
  return {
    name,
    invalidJsonCode: 'malformed',
    otherRouteParsesJson: true,
    start({ customReject, ...options }) {
      const app = express();
      const guard = webhookAuth({
        ...options,
        onReject: customReject
          ? (rejection, _req, res) => {
              res.status(418).json({ custom: rejection.code });
            }
          : undefined,
      });
      app.post('/webhooks', guard, (req, res) => {
        if (req.headers['x-test-fail'] === '1') {
          res.status(500).end();
          return;
        }
        res.json(handlerView(req.webhook, req.body));
      });
      app.post('/other', express.json(), (req, res) => {
        res.json({ body: req.body });
      });
      return serve(app);
    },
  };
}

const secret = generateWebhookSecret();
const reportError: ErrorRequestHandler = (error, _req, res, _next) => {
  res.status(500).json({ error: (error as Error).name, message: (error as Error).message });
};

for (const [name, express] of versions) {
  describeReceiverCases(harness(name, express));

  describe(`${name}: webhookAuth specifics`, () => {
    let app: RunningApp | undefined;
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });
    const body = '{"type":"ping"}';
    const headers = () => ({
      ...signWebhook({ secret, id: `msg_${Math.random().toString(36).slice(2)}`, body }),
      'content-type': 'application/json',
    });

    it('takes the Buffer that express.raw() left in req.body', async () => {
      const server = express();
      server.post(
        '/webhooks',
        express.raw({ type: '*/*' }),
        webhookAuth({ secrets: secret }),
        (req, res) => {
          res.json(handlerView(req.webhook, req.body));
        },
      );
      app = await serve(server);
      const answer = await post(`${app.url}/webhooks`, { body, headers: headers() });
      expect({ status: answer.status, body: answer.json()['body'] }).toEqual({
        status: 200,
        body: { type: 'ping' },
      });
    });

    it('hands a TypeError to next() when express.json() already read the body', async () => {
      const server = express();
      server.use(express.json());
      server.post('/webhooks', webhookAuth({ secrets: secret }), (_req, res) => {
        res.send('unreachable');
      });
      server.use(reportError);
      app = await serve(server);
      const answer = await post(`${app.url}/webhooks`, { body, headers: headers() });
      expect({ status: answer.status, error: answer.json()['error'] }).toEqual({
        status: 500,
        error: 'TypeError',
      });
    });

    it('hands a throwing onReject to next()', async () => {
      const server = express();
      const guard = webhookAuth({
        secrets: secret,
        onReject: () => {
          throw new RangeError('reject broke');
        },
      });
      server.post('/webhooks', guard, (_req, res) => {
        res.send('unreachable');
      });
      server.use(reportError);
      app = await serve(server);
      const answer = await post(`${app.url}/webhooks`, { body, headers: {} });
      expect({ status: answer.status, error: answer.json()['error'] }).toEqual({
        status: 500,
        error: 'RangeError',
      });
    });

    it('guards a whole router with app.use, refusing unsigned requests', async () => {
      const server = express();
      const hooks = express.Router();
      hooks.use(webhookAuth({ secrets: secret }));
      hooks.post('/a', (req, res) => {
        res.json({ id: req.webhook?.id });
      });
      server.use('/hooks', hooks);
      app = await serve(server);
      expectProblem(await post(`${app.url}/hooks/a`, { body }), 'missing_headers', 400);
      expect((await post(`${app.url}/hooks/a`, { body, headers: headers() })).status).toBe(200);
    });
  });
}

describe('webhookAuth options (Express)', () => {
  it.each([
    ['no options', undefined],
    ['no secrets', {}],
    ['a bad secret', { secrets: ['whsec_x'] }],
    ['a seenIds that is not a store', { secrets: secret, seenIds: {} }],
    ['an onReject that is not a function', { secrets: secret, onReject: 'no' }],
    ['storeTimeoutMs 0', { secrets: secret, storeTimeoutMs: 0 }],
  ])('throws a TypeError at startup for %s', (_name, options) => {
    expect(() => webhookAuth(options as never)).toThrow(TypeError);
  });
});
