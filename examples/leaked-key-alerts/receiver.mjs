// The other end of keyward's alert webhook: an ops service that accepts an alert only when its
// Standard Webhooks signature verifies over the raw body bytes, and drops a replayed webhook-id.
// It verifies with the reference `standardwebhooks` library (to be @keyward/webhooks once merged).
import { once } from 'node:events';
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

/** Listens for alert webhooks signed with `secret`; keeps the verified ones in `alerts`. */
export async function startReceiver({ secret, port = 0, host = '127.0.0.1' }) {
  const webhook = new Webhook(secret);
  const alerts = [];
  const seen = new Set();
  let refused = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8'); // the exact bytes that were signed
      let payload;
      try {
        payload = webhook.verify(raw, req.headers);
      } catch {
        refused++;
        res.writeHead(400).end();
        return;
      }
      const id = req.headers['webhook-id'];
      if (!seen.has(id)) {
        seen.add(id);
        alerts.push(payload);
      }
      res.writeHead(204).end();
    });
  });
  server.listen(port, host);
  await once(server, 'listening');
  return {
    url: `http://${host}:${server.address().port}/hooks/keyward`,
    alerts,
    get refused() {
      return refused;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
