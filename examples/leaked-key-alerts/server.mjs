// Alerts on a leaked key. An invoices API behind a proxy (client IPs from X-Forwarded-For) sends
// keyward's alerts to an ops receiver as signed webhooks. A partner's key leaks: the operator
// revokes it, and the attacker who found it keeps trying from another network. keyward raises
// `revoked_key_used` (the correct secret of a revoked key) and `new_network` (a /24 this key was
// never used from), and the receiver verifies each signature before it believes the alert.
//
// Run: node examples/leaked-key-alerts/server.mjs          (after `pnpm build`; PORT from the environment)
//      EXAMPLE_EXIT=1 node examples/leaked-key-alerts/server.mjs   plays the leak and exits
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { createKeyward, MemoryStore } from '@keyward/core';
import { apiKeyAuth } from '@keyward/express';
import express from 'express';
import { startReceiver } from './receiver.mjs';

/** A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret() {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The invoices API, alerting to `webhook`; issues the partner's key and listens. */
export async function start({
  webhook,
  port = Number(process.env.PORT ?? 3000),
  host = process.env.HOST ?? '127.0.0.1',
}) {
  const keyward = createKeyward({
    prefix: 'acme',
    store: new MemoryStore(),
    alerts: {
      webhook,
      // Production keeps the default (an hour): after a start, each key's networks are learnt
      // quietly first. The demo shortens it so the leak shows within a second.
      thresholds: { networkLearningMs: 0 },
    },
  });
  const { key, record } = await keyward.create({
    name: 'partner: Globex billing sync',
    ownerId: 'acct_globex',
    scopes: ['invoices:read'],
    actor: { type: 'user', id: 'alice@example.com' },
  });
  const app = express();
  app.set('trust proxy', 'loopback'); // the proxy in front sets X-Forwarded-For
  app.get('/invoices', apiKeyAuth(keyward, { scopes: ['invoices:read'] }), (req, res) => {
    res.json({ owner: req.apiKey?.ownerId, invoices: [] });
  });
  const server = app.listen(port, host);
  await once(server, 'listening');
  return {
    url: `http://${host}:${server.address().port}`,
    key,
    keyId: record.id,
    keyward,
    close: async () => {
      await keyward.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The story: the partner calls, the key is revoked, the leaked copy is used from elsewhere. */
export async function playLeak({ url, key, keyId, keyward }) {
  const call = async (ip) => {
    const res = await fetch(`${url}/invoices`, {
      headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': ip },
    });
    const body = await res.json();
    return `${res.status} ${body.code ?? 'ok'}`;
  };
  const lines = [];
  lines.push(`partner from 203.0.113.10 → ${await call('203.0.113.10')}`);
  await keyward.revoke(keyId, {
    actor: { type: 'user', id: 'oncall@example.com' },
    reason: 'found in a public gist',
  });
  lines.push('on-call revokes the key (found in a public gist)');
  lines.push(`attacker from 198.51.100.66 → ${await call('198.51.100.66')}`);
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const secret = newWebhookSecret();
  const receiver = await startReceiver({ secret });
  const api = await start({ webhook: { url: receiver.url, secret } });
  console.log(`Leaked-key alerts example: API on ${api.url}, alert receiver on ${receiver.url}\n`);
  for (const line of await playLeak(api)) console.log(`  ${line}`);
  for (let i = 0; i < 50 && receiver.alerts.length < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  console.log('\nAlerts received (each signature verified by the receiver):');
  for (const { data } of receiver.alerts) {
    console.log(`  ${data.kind} on ${data.keyId}: ${data.detail} (${JSON.stringify(data.data)})`);
  }
  if (process.env.EXAMPLE_EXIT === '1') {
    await api.close();
    await receiver.close();
  } else {
    console.log(
      `\nTry it: curl -i -H "Authorization: Bearer ${api.key}" -H "X-Forwarded-For: 192.0.2.7" ${api.url}/invoices`,
    );
  }
}
