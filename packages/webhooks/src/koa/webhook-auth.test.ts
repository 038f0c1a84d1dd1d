import Koa3, { type Context, type Middleware } from 'koa';
import Koa2 from 'koa2';
import { afterEach, describe, expect, it } from 'vitest';
import { post } from '../../test/http-client.js';
import {
  describeReceiverCases,
  handlerView,
  type ReceiverHarness,
  type RunningApp,
  serve,
} from '../../test/receiver-cases.js';
import { generateWebhookSecret } from '../secret.js';
import { signWebhook } from '../sign.js';
import { webhookAuth } from './webhook-auth.js';

type KoaClass = typeof Koa3;

const versions: ReadonlyArray<[string, KoaClass]> = [
  ['koa 3', Koa3],
  ['koa 2', Koa2 as unknown as KoaClass],
];

/** `POST path` runs `middleware` then `handler`; other requests fall through to 404. */
function route(path: string, middleware: Middleware, handler: (ctx: Context) => void): Middleware {
  return (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== path) return next();
    return middleware(ctx, async () => handler(ctx));
  };
}

function app(Koa: KoaClass): Koa3 {
  const koa = new Koa();
  koa.silent = true; // errors reach the client as 500s; the tests read those
  return koa;
}

function harness(name: string, Koa: KoaClass): ReceiverHarness {
  return {
    name,
    invalidJsonCode: 'malformed',
    otherRouteParsesJson: false, // Koa has no body parser of its own
    start({ customReject, ...options }) {
      const koa = app(Koa);
      const guard = webhookAuth({
        ...options,
        onReject: customReject
          ? (rejection, ctx) => {
              ctx.status = 418;
              ctx.body = { custom: rejection.code };
            }
          : undefined,
      });
      koa.use(
        route('/webhooks', guard, (ctx) => {
          if (ctx.get('x-test-fail') === '1') {
            ctx.status = 500;
            return;
          }
          ctx.body = handlerView(ctx.state.webhook, (ctx.request as { body?: unknown }).body);
        }),
      );
      return serve(koa.callback());
    },
  };
}

const secret = generateWebhookSecret();

for (const [name, Koa] of versions) {
  describeReceiverCases(harness(name, Koa));

  describe(`${name}: webhookAuth specifics`, () => {
    let running: RunningApp | undefined;
    afterEach(async () => {
      await running?.close();
      running = undefined;
    });
    const body = '{"type":"ping"}';

    it('throws (a 500) when a body parser already read the body', async () => {
      const koa = app(Koa);
      const errors: unknown[] = [];
      koa.on('error', (error) => errors.push(error));
      koa.use(async (ctx, next) => {
        // What a body parser does: read the stream to its end.
        for await (const _chunk of ctx.req) {
          // drained
        }
        await next();
      });
      koa.use(route('/webhooks', webhookAuth({ secrets: secret }), () => {}));
      running = await serve(koa.callback());
      const headers = signWebhook({ secret, id: 'msg_consumed', body });
      const answer = await post(`${running.url}/webhooks`, { body, headers });
      expect(answer.status).toBe(500);
      expect(errors.map((error) => (error as Error).name)).toEqual(['TypeError']);
    });

    it('lets a throwing onReject reach Koa error handling', async () => {
      const koa = app(Koa);
      const guard = webhookAuth({
        secrets: secret,
        onReject: (rejection, ctx) => ctx.throw(rejection.status, rejection.code),
      });
      koa.use(route('/webhooks', guard, () => {}));
      running = await serve(koa.callback());
      const answer = await post(`${running.url}/webhooks`, { body });
      expect(answer.status).toBe(400);
      expect(answer.text).toBe('missing_headers');
    });
  });
}

describe('webhookAuth options (Koa)', () => {
  it.each([
    ['no secrets', {}],
    ['a bad toleranceSeconds', { secrets: secret, toleranceSeconds: -5 }],
    ['an onReject that is not a function', { secrets: secret, onReject: 1 }],
  ])('throws a TypeError at startup for %s', (_name, options) => {
    expect(() => webhookAuth(options as never)).toThrow(TypeError);
  });
});
