/**
 * The webhook receiver table, written once and run through real HTTP against the Express, Koa
 * and Fastify middleware, on each supported major version.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { listenOnLoopback, type RunningApp } from '../../../test-support/adapter-cases.js';
import { generateWebhookSecret, type SeenIdStore, signWebhook } from '../src/index.js';
import type { WebhookAuthOptions } from '../src/receive/receiver.js';
import { type Answer, post } from './http-client.js';

export { listenOnLoopback as serve, type RunningApp };

export interface ReceiverOptions extends WebhookAuthOptions {
  /** Install an onReject that answers 418 `{ custom: code }`. */
  readonly customReject?: boolean;
}

/**
 * How a framework is put under the table. `start` serves on 127.0.0.1:
 * - `POST /webhooks`, guarded by the webhook middleware with `options`; the handler answers 200
 *   JSON `{ id, timestamp, raw (base64 of rawBody), body }` (`body` as the route sees it, a
 *   Buffer as `{ buffer: base64 }`), or 500 when the request has `x-test-fail: 1`;
 * - `POST /other`, not guarded, with the framework's usual JSON parsing, answering `{ body }`
 *   (when `otherRouteParsesJson`).
 */
export interface ReceiverHarness {
  readonly name: string;
  start(options: ReceiverOptions): Promise<RunningApp>;
  /** The code of a verified body that is not JSON although its content type says so. */
  readonly invalidJsonCode: string | undefined;
  readonly otherRouteParsesJson: boolean;
}

/** What the guarded handler answers, from what the route saw. */
export function handlerView(
  webhook: { id: string; timestamp: number; rawBody: Buffer } | undefined,
  body: unknown,
) {
  return {
    id: webhook?.id,
    timestamp: webhook?.timestamp,
    raw: webhook?.rawBody.toString('base64'),
    body: Buffer.isBuffer(body) ? { buffer: body.toString('base64') } : body,
  };
}

/** Asserts a problem answer: status, code, media type and no-store. */
export function expectProblem(answer: Answer, code: string, status: number): void {
  expect({ status: answer.status, code: answer.json()['code'] }).toEqual({ status, code });
  expect(answer.json()['status']).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(answer.headers['cache-control']).toBe('no-store');
}

const secret = generateWebhookSecret();
const nowSeconds = () => Math.floor(Date.now() / 1000);
let counter = 0;
const nextId = () => `msg_case_${++counter}_${Date.now()}`;

function signed(
  body: string | Uint8Array,
  overrides: { id?: string; timestamp?: number; key?: string } = {},
) {
  return signWebhook({
    secret: overrides.key ?? secret,
    id: overrides.id ?? nextId(),
    timestamp: overrides.timestamp ?? nowSeconds(),
    body,
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** A seen-id store whose calls fail, or never answer. */
const failingStore: SeenIdStore = {
  add: () => Promise.reject(new Error('redis is down')),
  delete: () => Promise.reject(new Error('redis is down')),
};
const hangingStore: SeenIdStore = {
  add: () => new Promise<boolean>(() => {}),
  delete: () => undefined,
};

export function describeReceiverCases(harness: ReceiverHarness): void {
  describe(`${harness.name}: webhook receiver`, () => {
    let app: RunningApp | undefined;
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });
    const start = async (options: Partial<ReceiverOptions> = {}) => {
      app = await harness.start({ secrets: [secret], ...options });
      return app.url;
    };
    const send = (
      url: string,
      body: string | Uint8Array,
      headers: Record<string, string>,
      extra = {},
    ) => post(`${url}/webhooks`, { body, headers: { ...headers }, ...extra });

    it('accepts a signed webhook and hands the route its id, timestamp, raw bytes and parsed body', async () => {
      const url = await start();
      const body = '{ "type" : "key.revoked",\n  "data": {"keyId": "k_1"}, "a": 1.50 }';
      const headers = signed(body, { id: 'msg_first' });
      const answer = await send(url, body, { ...headers, ...JSON_TYPE });
      expect(answer.status).toBe(200);
      expect(answer.json()).toEqual({
        id: 'msg_first',
        timestamp: Number(headers['webhook-timestamp']),
        raw: Buffer.from(body).toString('base64'),
        body: JSON.parse(body),
      });
    });

    it('verifies raw bytes that are not UTF-8, exactly as sent', async () => {
      const url = await start();
      const bytes = new Uint8Array([0x00, 0xff, 0xfe, 0x80, 0x7b, 0x0d, 0x0a]);
      const answer = await send(url, bytes, {
        ...signed(bytes),
        'content-type': 'application/octet-stream',
      });
      expect(answer.status).toBe(200);
      expect(answer.json()['raw']).toBe(Buffer.from(bytes).toString('base64'));
    });

    it('accepts a signed empty body', async () => {
      const url = await start();
      const answer = await send(url, '', signed(''));
      expect(answer.status).toBe(200);
      expect(answer.json()['raw']).toBe('');
    });

    it('accepts a webhook sent in chunks without a content-length', async () => {
      const url = await start();
      const body = JSON.stringify({ type: 'spike', data: 'x'.repeat(5000) });
      const answer = await send(url, body, { ...signed(body), ...JSON_TYPE }, { chunkBytes: 100 });
      expect(answer.status).toBe(200);
    });

    it('accepts the old secret during a rotation', async () => {
      const next = generateWebhookSecret();
      const url = await start({ secrets: [next, secret] });
      const body = '{"type":"ping"}';
      expect((await send(url, body, { ...signed(body, { key: next }), ...JSON_TYPE })).status).toBe(
        200,
      );
      expect((await send(url, body, { ...signed(body), ...JSON_TYPE })).status).toBe(200);
    });

    describe('rejections, each a problem+json with its code', () => {
      const body = '{"type":"ping"}';
      const cases: ReadonlyArray<[string, () => Record<string, string>, string, number]> = [
        ['no webhook headers', () => ({}), 'missing_headers', 400],
        [
          'no signature',
          () => ({ ...signed(body), 'webhook-signature': '' }),
          'missing_headers',
          400,
        ],
        [
          'a non-numeric timestamp',
          () => ({ ...signed(body), 'webhook-timestamp': 'soon' }),
          'malformed',
          400,
        ],
        [
          'a 30-digit timestamp',
          () => ({ ...signed(body), 'webhook-timestamp': '9'.repeat(30) }),
          'malformed',
          400,
        ],
        [
          'a malformed signature header',
          () => ({ ...signed(body), 'webhook-signature': 'v1,not-base64' }),
          'malformed',
          400,
        ],
        ['an id with a dot', () => ({ ...signed(body), 'webhook-id': 'msg.1' }), 'malformed', 400],
        [
          'a wrong signature',
          () => signed(body, { key: generateWebhookSecret() }),
          'invalid_signature',
          403,
        ],
        [
          'the signature of another body',
          () => signed('{"type":"pong"}'),
          'invalid_signature',
          403,
        ],
        [
          'a timestamp 10 minutes old',
          () => signed(body, { timestamp: nowSeconds() - 600 }),
          'timestamp_too_old',
          403,
        ],
        [
          'a timestamp 10 minutes ahead',
          () => signed(body, { timestamp: nowSeconds() + 600 }),
          'timestamp_too_new',
          403,
        ],
      ];
      it.each(cases.map(([name, headers, code, status]) => [name, code, status, headers] as const))(
        '%s → %s %i',
        async (_name, code, status, headers) => {
          const url = await start();
          expectProblem(await send(url, body, { ...headers(), ...JSON_TYPE }), code, status);
        },
      );

      it('a JSON body re-serialised after signing → invalid_signature 403', async () => {
        const url = await start();
        const sent = '{"b": 1, "a": [1, 2]}';
        const headers = signed(sent);
        const reserialised = JSON.stringify(JSON.parse(sent));
        expectProblem(
          await send(url, reserialised, { ...headers, ...JSON_TYPE }),
          'invalid_signature',
          403,
        );
      });

      it('a replay of an accepted webhook → replayed 409', async () => {
        const url = await start();
        const headers = { ...signed(body), ...JSON_TYPE };
        expect((await send(url, body, headers)).status).toBe(200);
        expectProblem(await send(url, body, headers), 'replayed', 409);
      });

      it('a replay is accepted when replay refusal is off (seenIds: false)', async () => {
        const url = await start({ seenIds: false });
        const headers = { ...signed(body), ...JSON_TYPE };
        expect((await send(url, body, headers)).status).toBe(200);
        expect((await send(url, body, headers)).status).toBe(200);
      });

      it('the retry of a delivery whose handler failed is processed (its id was forgotten)', async () => {
        const url = await start();
        const id = nextId();
        const failed = await send(url, body, {
          ...signed(body, { id }),
          ...JSON_TYPE,
          'x-test-fail': '1',
        });
        expect(failed.status).toBe(500);
        const retry = await send(url, body, {
          ...signed(body, { id, timestamp: nowSeconds() + 1 }),
          ...JSON_TYPE,
        });
        expect(retry.status).toBe(200);
        expectProblem(
          await send(url, body, { ...signed(body, { id }), ...JSON_TYPE }),
          'replayed',
          409,
        );
      });

      it('a body over maxBodyBytes (declared) → malformed 413, closing the connection', async () => {
        const url = await start({ maxBodyBytes: 1000 });
        const big = 'x'.repeat(1001);
        const answer = await send(url, big, signed(big));
        expectProblem(answer, 'malformed', 413);
        expect(answer.headers['connection']).toBe('close');
      });

      it('a body over maxBodyBytes sent chunked → malformed 413', async () => {
        const url = await start({ maxBodyBytes: 1000 });
        const big = 'x'.repeat(5000);
        expectProblem(await send(url, big, signed(big), { chunkBytes: 256 }), 'malformed', 413);
      });

      it('a 10 MB body → malformed 413 at the default limit, declared or chunked', async () => {
        const url = await start();
        const huge = new Uint8Array(10 * 1024 * 1024);
        const headers = signed('placeholder');
        expectProblem(await send(url, huge, headers), 'malformed', 413);
        expectProblem(await send(url, huge, headers, { chunkBytes: 64 * 1024 }), 'malformed', 413);
      });

      it('a signed body that is not JSON under a JSON content type → 400', async () => {
        const url = await start();
        const answer = await send(url, '{not json', { ...signed('{not json'), ...JSON_TYPE });
        expect(answer.status).toBe(400);
        if (harness.invalidJsonCode !== undefined)
          expectProblem(answer, harness.invalidJsonCode, 400);
      });

      it('a seen-id store that fails → store_unavailable 503 with Retry-After', async () => {
        const url = await start({ seenIds: failingStore });
        const answer = await send(url, body, { ...signed(body), ...JSON_TYPE });
        expectProblem(answer, 'store_unavailable', 503);
        expect(answer.headers['retry-after']).toBe('1');
      });

      it('a seen-id store that never answers → store_unavailable 503 after storeTimeoutMs', async () => {
        const url = await start({ seenIds: hangingStore, storeTimeoutMs: 50 });
        const started = Date.now();
        expectProblem(
          await send(url, body, { ...signed(body), ...JSON_TYPE }),
          'store_unavailable',
          503,
        );
        // The store never answers, so the 503 is the timeout's; the bound leaves room for a stall.
        expect(Date.now() - started).toBeLessThan(10_000);
      });

      it('onReject shapes the response', async () => {
        const url = await start({ customReject: true });
        const answer = await send(url, body, {
          ...signed(body, { key: generateWebhookSecret() }),
          ...JSON_TYPE,
        });
        expect({ status: answer.status, body: answer.json() }).toEqual({
          status: 418,
          body: { custom: 'invalid_signature' },
        });
      });
    });

    if (harness.otherRouteParsesJson)
      it('leaves other routes and their JSON parsing alone', async () => {
        const url = await start();
        const answer = await post(`${url}/other`, { body: '{"n": 1}', headers: JSON_TYPE });
        expect({ status: answer.status, body: answer.json() }).toEqual({
          status: 200,
          body: { body: { n: 1 } },
        });
      });
  });
}
