import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Receiver, startReceiver } from './receiver.mjs';
import { newWebhookSecret, playLeak, type RunningExample, start } from './server.mjs';

describe('leaked-key alerts', () => {
  const secret = newWebhookSecret();
  let receiver: Receiver;
  let api: RunningExample;
  beforeAll(async () => {
    receiver = await startReceiver({ secret });
    api = await start({ webhook: { url: receiver.url, secret }, port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await api?.close();
    await receiver?.close();
  });

  it('raises revoked_key_used and new_network for the leaked key, signed and verified', async () => {
    expect(await playLeak(api)).toStrictEqual([
      'partner from 203.0.113.10 → 200 ok',
      'on-call revokes the key (found in a public gist)',
      'attacker from 198.51.100.66 → 401 revoked_key',
    ]);
    await vi.waitFor(() => expect(receiver.alerts).toHaveLength(2), { timeout: 10_000 });
    const byKind = Object.fromEntries(receiver.alerts.map((a) => [a.data.kind, a]));
    expect(Object.keys(byKind).sort()).toStrictEqual(['new_network', 'revoked_key_used']);
    for (const kind of ['new_network', 'revoked_key_used']) {
      expect(byKind[kind]).toMatchObject({
        type: `alert.${kind}`,
        data: { kind, keyId: api.keyId, data: { ip: '198.51.100.66', network: '198.51.100.0/24' } },
      });
    }
    expect(receiver.refused).toBe(0);
    expect(JSON.stringify(receiver.alerts)).not.toContain(api.key.slice(-49, -6));
  });

  it('has a receiver that refuses an alert whose signature does not verify', async () => {
    const forged = await fetch(receiver.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'alrt_forged',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': 'v1,Zm9yZ2VkIHNpZ25hdHVyZSBmb3JnZWQgc2lnbmF0dXJlIQ==',
      },
      body: JSON.stringify({ type: 'alert.revoked_key_used', data: { kind: 'revoked_key_used' } }),
    });
    expect(forged.status).toBe(400);
    expect(receiver.refused).toBe(1);
  });

  it('records the revocation in the audit trail with who and why', async () => {
    const { items } = await api.keyward.audit({ keyId: api.keyId });
    expect(items.map((e) => [e.type, e.actor?.id, e.reason])).toStrictEqual([
      ['key.created', 'alice@example.com', undefined],
      ['key.revoked', 'oncall@example.com', 'found in a public gist'],
    ]);
  });
});
