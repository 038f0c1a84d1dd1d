import { inspect } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../../../test-support/wait.js';
import { Endpoint } from '../../test/endpoint.js';
import { generateWebhookSecret } from '../secret.js';
import { verifyWebhook } from '../verify.js';
import {
  sendWebhook,
  type WebhookAttempt,
  WebhookSender,
  type WebhookSenderOptions,
} from './webhook-sender.js';

const secret = generateWebhookSecret();
const body = JSON.stringify({ type: 'key.revoked', data: { keyId: 'k_1' } });

/** Fast retries for tests: 10 ms, doubling, jitter fixed at the full delay. */
const FAST = { initialDelayMs: 10, maxDelayMs: 200, random: () => 1 } as const;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

let endpoint: Endpoint;
const senders: WebhookSender[] = [];
beforeEach(async () => {
  endpoint = await new Endpoint().start();
});
afterEach(async () => {
  await Promise.all(senders.splice(0).map((sender) => sender.close()));
  await endpoint.close();
});

function sender(options: Partial<WebhookSenderOptions> = {}): WebhookSender {
  const created = new WebhookSender({ url: endpoint.url, secret, ...FAST, ...options });
  senders.push(created);
  return created;
}

function attemptsLog(): { attempts: WebhookAttempt[]; onAttempt: (a: WebhookAttempt) => void } {
  const attempts: WebhookAttempt[] = [];
  return { attempts, onAttempt: (attempt) => attempts.push(attempt) };
}

describe('WebhookSender', () => {
  it('POSTs the body signed per Standard Webhooks, verifiable here and by the reference library', async () => {
    endpoint.script([{ status: 200 }]);
    const delivery = await sender({ headers: { 'user-agent': 'keyward-test' } }).send(body, {
      id: 'msg_alert_1',
    });
    expect(delivery).toEqual({ ok: true, id: 'msg_alert_1', attempts: 1, status: 200 });
    const [request] = endpoint.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/hooks');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['user-agent']).toBe('keyward-test');
    expect(request?.body.toString('utf8')).toBe(body);
    const headers = request!.headers as Record<string, string>;
    expect(verifyWebhook({ secrets: secret, headers, body: request!.body })).toMatchObject({
      ok: true,
      id: 'msg_alert_1',
    });
    expect(() => new Webhook(secret).verify(request!.body, headers)).not.toThrow();
  });

  it('sends bytes unchanged, and signs them as bytes', async () => {
    const bytes = new Uint8Array([0, 255, 128, 10, 13]);
    await sender({ contentType: 'application/octet-stream' }).send(bytes);
    const [request] = endpoint.requests;
    expect(request?.headers['content-type']).toBe('application/octet-stream');
    expect(new Uint8Array(request!.body)).toEqual(bytes);
    const headers = request!.headers as Record<string, string>;
    expect(verifyWebhook({ secrets: secret, headers, body: request!.body }).ok).toBe(true);
  });

  it('gives every delivery a new msg_ id unless one is given', async () => {
    const s = sender();
    const a = await s.send(body);
    const b = await s.send(body);
    expect(a.id).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
    expect(a.id).not.toBe(b.id);
  });

  it('retries 500, 502 and 503 and delivers, with the same id and a fresh timestamp each time', async () => {
    endpoint.script([{ status: 500 }, { status: 502 }, { status: 503 }, { status: 200 }]);
    let clock = 1_800_000_000_000;
    const log = attemptsLog();
    const delivery = await sender({ onAttempt: log.onAttempt, clock: () => (clock += 1000) }).send(
      body,
    );
    expect(delivery).toMatchObject({ ok: true, attempts: 4, status: 200 });
    const ids = new Set(endpoint.requests.map((r) => r.headers['webhook-id']));
    const timestamps = new Set(endpoint.requests.map((r) => r.headers['webhook-timestamp']));
    expect(ids.size).toBe(1);
    expect(timestamps.size).toBe(4);
    for (const request of endpoint.requests) {
      const headers = request.headers as Record<string, string>;
      const now = Number(headers['webhook-timestamp']) * 1000;
      expect(verifyWebhook({ secrets: secret, headers, body: request.body, now }).ok).toBe(true);
    }
    expect(log.attempts.map((a) => [a.attempt, a.ok, a.status, a.retryInMs])).toEqual([
      [1, false, 500, 10],
      [2, false, 502, 20],
      [3, false, 503, 40],
      [4, true, 200, undefined],
    ]);
  });

  it('stops after maxAttempts', async () => {
    endpoint.script([], { status: 500 });
    const delivery = await sender({ maxAttempts: 3 }).send(body);
    expect(delivery).toMatchObject({ ok: false, attempts: 3, reason: 'status', status: 500 });
    expect(endpoint.requests).toHaveLength(3);
  });

  it.each([400, 401, 403, 404, 410, 413, 422])('does not retry a %i', async (status) => {
    endpoint.script([], { status });
    const delivery = await sender().send(body);
    expect(delivery).toMatchObject({ ok: false, attempts: 1, reason: 'status', status });
    expect(endpoint.requests).toHaveLength(1);
  });

  it('does not follow a redirect', async () => {
    endpoint.script([{ status: 307, headers: { location: '/elsewhere' } }]);
    const delivery = await sender().send(body);
    expect(delivery).toMatchObject({ ok: false, attempts: 1, status: 307 });
    expect(endpoint.requests.map((r) => r.path)).toEqual(['/hooks']);
  });

  it('retries a 429 after its Retry-After', async () => {
    endpoint.script([{ status: 429, headers: { 'retry-after': '1' } }, { status: 200 }]);
    const log = attemptsLog();
    const delivery = await sender({ maxDelayMs: 5000, onAttempt: log.onAttempt }).send(body);
    expect(delivery).toMatchObject({ ok: true, attempts: 2 });
    expect(log.attempts[0]?.retryInMs).toBe(1000);
    const [first, second] = endpoint.requests;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(990);
  });

  it('bounds a Retry-After by maxDelayMs', async () => {
    endpoint.script([{ status: 429, headers: { 'retry-after': '3600' } }, { status: 200 }]);
    const log = attemptsLog();
    const delivery = await sender({ maxDelayMs: 150, onAttempt: log.onAttempt }).send(body);
    expect(delivery).toMatchObject({ ok: true, attempts: 2 });
    expect(log.attempts[0]?.retryInMs).toBe(150);
  });

  it('times out an attempt that gets no answer, and retries it', async () => {
    endpoint.script(['hang', 'hang', { status: 200 }]);
    const log = attemptsLog();
    const started = Date.now();
    // 3 s, past any event-loop stall (up to 2 s on a loaded machine): after a stall longer than
    // the timeout, the timer fires before this process's own endpoint answers the third attempt.
    const delivery = await sender({ timeoutMs: 3000, onAttempt: log.onAttempt }).send(body);
    expect(delivery).toMatchObject({ ok: true, attempts: 3 });
    expect(log.attempts.map((a) => a.error)).toEqual(['timeout', 'timeout', undefined]);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('ends with reason timeout when every attempt times out', async () => {
    endpoint.script([], 'hang');
    const delivery = await sender({ timeoutMs: 50, maxAttempts: 2 }).send(body);
    expect(delivery).toMatchObject({ ok: false, attempts: 2, reason: 'timeout' });
    expect(delivery.ok ? 0 : delivery.status).toBeUndefined();
  });

  it('retries a reset connection, and ends with reason network when nothing listens', async () => {
    endpoint.script(['reset', { status: 200 }]);
    expect(await sender().send(body)).toMatchObject({ ok: true, attempts: 2 });
    const closed = new WebhookSender({
      url: `http://127.0.0.1:${await freePort()}/`,
      secret,
      ...FAST,
      maxAttempts: 2,
    });
    expect(await closed.send(body)).toMatchObject({ ok: false, attempts: 2, reason: 'network' });
  });

  it('close() stops a delivery waiting to retry, and an attempt in flight', async () => {
    endpoint.script([{ status: 500 }], 'hang');
    const s = sender({ initialDelayMs: 60_000, maxDelayMs: 60_000 });
    const waiting = s.send(body);
    await vi.waitFor(() => expect(endpoint.requests).toHaveLength(1), { timeout: 10_000 });
    const inFlight = s.send(body);
    await vi.waitFor(() => expect(endpoint.requests).toHaveLength(2), { timeout: 10_000 });
    expect(s.pending).toBe(2);
    const started = Date.now();
    await s.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await waiting).toMatchObject({ ok: false, attempts: 1, reason: 'closed', status: 500 });
    expect(await inFlight).toMatchObject({ ok: false, attempts: 1, reason: 'closed' });
    expect(s.pending).toBe(0);
    expect(await s.send(body)).toMatchObject({ ok: false, attempts: 0, reason: 'closed' });
  });

  it('stops a delivery whose signal aborts', async () => {
    endpoint.script([], { status: 500 });
    const controller = new AbortController();
    const delivery = sender({ initialDelayMs: 60_000, maxDelayMs: 60_000 }).send(body, {
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(endpoint.requests).toHaveLength(1), { timeout: 10_000 });
    controller.abort();
    expect(await delivery).toMatchObject({ ok: false, attempts: 1, reason: 'closed' });
  });

  it('refuses more than maxPending deliveries at once as overloaded', async () => {
    endpoint.script([], 'hang');
    const s = sender({ maxPending: 2, timeoutMs: 60_000 });
    void s.send(body);
    void s.send(body);
    expect(await s.send(body)).toMatchObject({ ok: false, attempts: 0, reason: 'overloaded' });
  });

  it('unrefs its timers, so pending retries never hold the process open', async () => {
    endpoint.script([{ status: 500 }], 'hang');
    const timers: Array<{ ms: number | undefined; timer: NodeJS.Timeout }> = [];
    const real = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
      ...args: Parameters<typeof setTimeout>
    ) => {
      const timer = real(...args);
      timers.push({ ms: args[1], timer });
      return timer;
    }) as typeof setTimeout);
    try {
      const s = sender({ initialDelayMs: 60_000, maxDelayMs: 60_000, timeoutMs: 30_000 });
      void s.send(body);
      await vi.waitFor(() => expect(endpoint.requests).toHaveLength(1), { timeout: 10_000 });
      await new Promise((resolve) => real(resolve, 20));
      // The attempt's timeout (30 s) and the backoff wait (60 s).
      const ours = timers.filter(({ ms }) => ms === 30_000 || ms === 60_000);
      expect(ours.map(({ ms }) => ms)).toEqual([30_000, 60_000]);
      expect(ours.map(({ timer }) => timer.hasRef())).toEqual([false, false]);
    } finally {
      spy.mockRestore();
    }
  });

  it('survives a throwing onAttempt and a throwing fetch, without an unhandled rejection', async () => {
    const throwingListener = sender({
      onAttempt: () => {
        throw new Error('listener broke');
      },
    });
    expect(await throwingListener.send(body)).toMatchObject({ ok: true });
    const throwingFetch = sender({
      maxAttempts: 2,
      fetch: (() => {
        throw new Error('fetch broke');
      }) as unknown as typeof fetch,
    });
    expect(await throwingFetch.send(body)).toMatchObject({ ok: false, reason: 'network' });
    const rejectingFetch = sender({
      maxAttempts: 2,
      fetch: () => Promise.reject(new TypeError('fetch failed')),
    });
    expect(await rejectingFetch.send(body)).toMatchObject({ ok: false, reason: 'network' });
  });

  it('never shows the secret: not in inspect, JSON, attempts or deliveries', async () => {
    endpoint.script([{ status: 500 }, { status: 200 }]);
    const log = attemptsLog();
    const s = sender({ onAttempt: log.onAttempt });
    const delivery = await s.send(body);
    const material = [secret, secret.slice(6)];
    for (const shown of [
      inspect(s, { depth: 5 }),
      JSON.stringify(s),
      JSON.stringify(log.attempts),
      JSON.stringify(delivery),
    ]) {
      for (const part of material) expect(shown).not.toContain(part);
    }
  });

  it.each([
    ['a relative url', { url: '/hooks' }],
    ['a non-http url', { url: 'ftp://example.com/' }],
    ['a bad secret', { secret: 'whsec_short' }],
    ['maxAttempts 0', { maxAttempts: 0 }],
    ['a fractional maxAttempts', { maxAttempts: 1.5 }],
    ['a negative initialDelayMs', { initialDelayMs: -1 }],
    ['timeoutMs 0', { timeoutMs: 0 }],
    ['a header that is not a string', { headers: { 'x-n': 1 } }],
    ['a Content-Type header (contentType sets it)', { headers: { 'Content-Type': 'text/plain' } }],
    ['a Webhook-Signature header of its own', { headers: { 'Webhook-Signature': 'v1,x' } }],
    ['a webhook-id header of its own', { headers: { 'webhook-id': 'msg_1' } }],
    ['an onAttempt that is not a function', { onAttempt: 'log' }],
  ])('throws a TypeError for %s', (_name, overrides) => {
    expect(() => new WebhookSender({ url: endpoint.url, secret, ...overrides } as never)).toThrow(
      TypeError,
    );
  });

  it('throws a TypeError for a parsed body or a bad id at send', () => {
    const s = sender();
    expect(() => s.send({ type: 'x' } as never)).toThrow(TypeError);
    expect(() => s.send(body, { id: 'msg.1' })).toThrow(TypeError);
  });
});

describe('sendWebhook', () => {
  it('delivers one webhook with retries and resolves with the outcome', async () => {
    endpoint.script([{ status: 503 }, { status: 202 }]);
    const delivery = await sendWebhook({
      url: endpoint.url,
      secret,
      body,
      id: 'msg_once',
      ...FAST,
    });
    expect(delivery).toEqual({ ok: true, id: 'msg_once', attempts: 2, status: 202 });
  });

  it('resolves, never rejects, when the endpoint refuses', async () => {
    endpoint.script([], { status: 404 });
    await expect(sendWebhook({ url: endpoint.url, secret, body, ...FAST })).resolves.toMatchObject({
      ok: false,
      reason: 'status',
      status: 404,
    });
  });
});
