import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createKeyward, type Keyward } from '../keyward.js';
import { bearer, PREFIX } from '../test-helpers.js';
import type { KeywardEvent } from '../types.js';
import type { Alert, AlertWebhook } from './types.js';

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver answering each request with the next of `statuses` (the last repeats); 0 = hang. */
async function receiver(statuses: number[]) {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const status = statuses[Math.min(received.length, statuses.length) - 1]!;
      if (status === 0) hanging.push(res);
      else res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/keyward`;
  const close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { url, received, close };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A keyward whose alerts go to `webhook`, and a revoked key whose use raises one. */
async function alerting(webhook: Omit<AlertWebhook, 'secret'>) {
  const alerts: Alert[] = [];
  const events: KeywardEvent[] = [];
  const keyward: Keyward = createKeyward({
    prefix: PREFIX,
    alerts: { webhook: { secret: SECRET, ...webhook }, onAlert: (a) => alerts.push(a) },
    onEvent: (e) => {
      if (e.type.startsWith('alert')) events.push(e);
    },
  });
  cleanups.push(() => keyward.close());
  const { key, record } = await keyward.create({ name: 'leaked' });
  await keyward.revoke(record.id);
  const raise = () => {
    const result = keyward.verify(bearer(key));
    expect(result instanceof Promise).toBe(false);
  };
  return { keyward, alerts, events, raise };
}

describe('alert webhooks', () => {
  it('POSTs each alert as JSON signed per Standard Webhooks', async () => {
    const server = await receiver([204]);
    cleanups.push(server.close);
    const { alerts, raise } = await alerting({ url: server.url });
    raise();
    await vi.waitFor(() => expect(server.received).toHaveLength(1), { timeout: 5000 });
    const [{ headers, body }] = server.received as [Received];
    expect(headers['content-type']).toBe('application/json');
    const payload = new Webhook(SECRET).verify(body, headers as Record<string, string>) as {
      type: string;
      timestamp: string;
      data: Record<string, unknown>;
    };
    expect(payload.type).toBe('alert.revoked_key_used');
    expect(payload.data).toMatchObject({
      id: alerts[0]!.id,
      kind: 'revoked_key_used',
      keyId: alerts[0]!.keyId,
      at: alerts[0]!.at.toISOString(),
    });
    expect(headers['webhook-id']).toBe(alerts[0]!.id);
    expect(() =>
      new Webhook(SECRET).verify(`${body} `, headers as Record<string, string>),
    ).toThrow();
  });

  it('retries 5xx and 429 with backoff, then delivers the same message', async () => {
    const server = await receiver([500, 429, 200]);
    cleanups.push(server.close);
    const { events, raise } = await alerting({ url: server.url, retryBaseMs: 20 });
    raise();
    await vi.waitFor(() => expect(server.received).toHaveLength(3), { timeout: 5000 });
    expect(new Set(server.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(new Set(server.received.map((r) => r.body)).size).toBe(1);
    for (const { headers, body } of server.received) {
      expect(() =>
        new Webhook(SECRET).verify(body, headers as Record<string, string>),
      ).not.toThrow();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.received).toHaveLength(3);
    expect(events.filter((e) => e.type === 'alert.undelivered')).toStrictEqual([]);
  });

  it.each([400, 408])(
    'gives up at once on a 4xx other than 429 (%i), with an undelivered event',
    async (status) => {
      const server = await receiver([status]);
      cleanups.push(server.close);
      const { events, raise } = await alerting({ url: server.url, retryBaseMs: 10 });
      raise();
      await vi.waitFor(
        () => expect(events.some((e) => e.type === 'alert.undelivered')).toBe(true),
        {
          timeout: 5000,
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(server.received).toHaveLength(1);
      expect(events.find((e) => e.type === 'alert.undelivered')).toMatchObject({
        reason: 'failed',
        status,
        attempts: 1,
        kind: 'revoked_key_used',
      });
    },
  );

  it('stops after maxAttempts when the receiver never answers in time', async () => {
    const server = await receiver([0]);
    cleanups.push(server.close);
    // The receiver runs in this process: after a stall, the client's timeout can fire before the
    // server has read the request, so the timeout leaves room for a loaded machine.
    const { events, raise } = await alerting({
      url: server.url,
      timeoutMs: 1_500,
      maxAttempts: 3,
      retryBaseMs: 10,
    });
    raise();
    await vi.waitFor(() => expect(events.some((e) => e.type === 'alert.undelivered')).toBe(true), {
      timeout: 10_000,
    });
    await vi.waitFor(() => expect(server.received).toHaveLength(3), { timeout: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.received).toHaveLength(3);
    expect(events.find((e) => e.type === 'alert.undelivered')).toMatchObject({
      reason: 'failed',
      attempts: 3,
    });
  });

  it('close() aborts what is in flight and sends nothing more', async () => {
    const server = await receiver([500]);
    cleanups.push(server.close);
    const { keyward, events, raise } = await alerting({ url: server.url, retryBaseMs: 200 });
    raise();
    await vi.waitFor(() => expect(server.received).toHaveLength(1), { timeout: 5000 });
    keyward.close();
    keyward.close();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(server.received).toHaveLength(1);
    expect(events.filter((e) => e.type === 'alert.undelivered')).toMatchObject([
      { reason: 'closed', attempts: 1 },
    ]);
  });
});
