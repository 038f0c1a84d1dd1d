// The README's main command: an Express API protected by keyward on the SQLite store, walked
// through with real HTTP requests. Then it keeps serving, with curl lines to try.
//   node examples/demo/demo.mjs            (PORT=3000 by default; DEMO_EXIT=1 to stop after the walk-through)
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConsole } from '@keyward/console';
import { createKeyward } from '@keyward/core';
import { apiKeyAuth } from '@keyward/express';
import { SqliteStore } from '@keyward/sqlite';
import express from 'express';

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, '.data');
const dbPath = join(dataDir, 'keyward.db');
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });

const store = new SqliteStore({ path: dbPath });
const events = [];
const keyward = createKeyward({
  prefix: 'demo',
  environments: ['test'],
  store,
  onEvent: (event) => {
    events.push(event);
    // KEYWARD_LOG=1 prints the audit trail as JSON lines: ids, codes and IPs, never a secret.
    if (process.env.KEYWARD_LOG === '1') console.log(`event ${JSON.stringify(event)}`);
  },
});

// The web console (docs/console.md), mounted in the same app, and an admin key to sign in to it.
const keywardConsole = createConsole(keyward, { basePath: '/keyward' });
const consoleAdmin = await keyward.create({
  name: 'console admin',
  environment: 'test',
  scopes: ['keyward:admin'],
});

const app = express();
app.use(keywardConsole.toNodeHandler());
app.get('/health', (_req, res) => res.json({ ok: true }));
app.get('/invoices', apiKeyAuth(keyward, { scopes: ['invoices:read'] }), (req, res) => {
  res.json({ invoices: [{ id: 'inv_1', total: 4200 }], key: req.apiKey.name });
});
app.post('/invoices', apiKeyAuth(keyward, { scopes: ['invoices:write'] }), (req, res) => {
  res.status(201).json({ created: 'inv_2', key: req.apiKey.name });
});
app.get('/admin/stats', apiKeyAuth(keyward, { scopes: ['admin:read'] }), (_req, res) => {
  res.json({ keys: 'plenty' });
});

const server = await new Promise((resolve) => {
  const port = Number(process.env.PORT ?? 3000);
  const s = app.listen(port, '127.0.0.1', () => resolve(s));
  s.once('error', (error) => {
    if (error.code !== 'EADDRINUSE') throw error;
    const fallback = app.listen(0, '127.0.0.1', () => resolve(fallback));
  });
});
const base = `http://127.0.0.1:${server.address().port}`;

const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
// prefix, environment and id (`demo_test_<id>_`): never a character of the secret
const short = (key) => `${key.slice(0, 'demo_test_'.length + 13)}…`;

async function call(title, path, { key, method = 'GET', headers = {} } = {}) {
  const sent = { ...headers };
  if (key) sent.authorization = `Bearer ${key}`;
  const response = await fetch(base + path, { method, headers: sent });
  const body = await response.json();
  const extra = ['ratelimit', 'retry-after', 'www-authenticate']
    .map((name) =>
      response.headers.get(name) ? `${name}: ${response.headers.get(name)}` : undefined,
    )
    .filter(Boolean);
  console.log(`\n${bold(title)}`);
  console.log(`  → ${method} ${path}${key ? `   (Bearer ${short(key)})` : ''}`);
  console.log(`  ← ${response.status} ${body.code ?? JSON.stringify(body)}`);
  for (const line of extra) console.log(`     ${line}`);
  return response.status;
}

console.log(`keyward demo — an Express API on ${base}, keys in ${dbPath}`);
const reader = await keyward.create({
  name: 'reporting script',
  environment: 'test',
  scopes: ['invoices:read'],
  // One token a minute: none comes back during the walk-through, even on a loaded machine.
  rateLimit: { capacity: 3, refillPerSecond: 1 / 60 },
});
const office = await keyward.create({
  name: 'office-only key',
  environment: 'test',
  scopes: ['invoices:*'],
  ips: ['10.0.0.0/8'],
});
console.log(
  `Issued "${reader.record.name}" (${reader.record.redacted}) with scope invoices:read and a burst of 3 requests (then 1 per minute),`,
);
console.log(
  `and "${office.record.name}" (${office.record.redacted}) allowed only from 10.0.0.0/8.`,
);

const statuses = [];
statuses.push(await call('1. No key', '/invoices'));
statuses.push(await call('2. A valid key with the right scope', '/invoices', { key: reader.key }));
statuses.push(
  await call('3. A typo in the key (checksum catches it, no store read)', '/invoices', {
    key: `${reader.key.slice(0, -1)}${reader.key.endsWith('x') ? 'y' : 'x'}`,
  }),
);
statuses.push(await call('4. Right key, missing scope', '/admin/stats', { key: reader.key }));
statuses.push(
  await call('5. IP allow-list: this client is 127.0.0.1, not in 10.0.0.0/8', '/invoices', {
    key: office.key,
  }),
);
statuses.push(
  await call('6. A spoofed X-Forwarded-For changes nothing (trust proxy is off)', '/invoices', {
    key: office.key,
    headers: { 'x-forwarded-for': '10.1.2.3' },
  }),
);
console.log(`\n${bold('7. Burst until the token bucket is empty')}`);
let limited = 0;
for (let i = 0; i < 5 && limited === 0; i++) {
  const status = await call(`   request ${i + 1}`, '/invoices', { key: reader.key });
  if (status === 429) limited = status;
}
statuses.push(limited);
const rotated = await keyward.rotate(reader.record.id, { gracePeriodMs: 60 * 60 * 1000 });
console.log(
  `\n${bold('8. Rotation with a one-hour grace period')}: same id ${rotated.record.id}, new secret`,
);
// Lift the rate limit so the bucket emptied above does not hide what rotation does.
await keyward.update(reader.record.id, { rateLimit: null });
statuses.push(
  await call('   the old key still works during the grace period', '/invoices', {
    key: reader.key,
  }),
);
statuses.push(await call('   and so does the new one', '/invoices', { key: rotated.key }));
await keyward.revoke(reader.record.id, { reason: 'demo: leaked in a screenshot' });
statuses.push(await call('9. Revoked: refused at once', '/invoices', { key: rotated.key }));

// Usage is counted in process and written by a timer once a second; flush() writes it now.
await keyward.flush();
const hour = { from: Date.now() - 3_600_000, to: Date.now() + 60_000, granularity: 'hour' };
const sum = (points) => {
  const outcomes = {};
  for (const point of points) {
    for (const [outcome, count] of Object.entries(point.outcomes)) {
      outcomes[outcome] = (outcomes[outcome] ?? 0) + count;
    }
  }
  return Object.entries(outcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([outcome, count]) => `${outcome} ${count}`)
    .join(', ');
};
const { points } = await keyward.usage({ keyId: reader.record.id, ...hour });
const { routes } = await keyward.usage({ keyId: reader.record.id, ...hour, groupBy: 'route' });
const info = await keyward.get(reader.record.id);
console.log(
  `\n${bold(`10. Usage of "${reader.record.name}" (keyward.usage, written by the flush)`)}`,
);
console.log(`  ${points.reduce((total, p) => total + p.total, 0)} verifications: ${sum(points)}`);
for (const route of routes) {
  console.log(`  ${route.route || '(no route)'}: ${route.total} (${sum([route])})`);
}
console.log(`  last used ${info.lastUsedAt?.toISOString() ?? 'never'}`);
const everything = await keyward.usage(hour);
console.log(`  the whole deployment, keys not named included: ${sum(everything.points)}`);

const session = await fetch(`${base}/keyward/api/session`, {
  headers: { authorization: `Bearer ${consoleAdmin.key}` },
});
console.log(`\n${bold('11. The console at /keyward/')}`);
console.log(`  → GET /keyward/api/session   (Bearer ${short(consoleAdmin.key)})`);
console.log(`  ← ${session.status} ${JSON.stringify(await session.json())}`);
const page = await fetch(`${base}/keyward/`);
console.log(`  → GET /keyward/   ← ${page.status} ${page.headers.get('content-type')}`);
console.log(`     content-security-policy: ${page.headers.get('content-security-policy')}`);

const seen = new Set(events.map((event) => event.type));
console.log(
  `\nAudit events emitted: ${[...seen].join(', ')} (${events.length} in all, none with a secret).`,
);
console.log(`Statuses seen: ${statuses.join(' ')}`);

const playground = await keyward.create({
  name: 'playground',
  environment: 'test',
  scopes: ['invoices:*'],
  rateLimit: { capacity: 10, refillPerSecond: 1 },
});
if (process.env.DEMO_EXIT === '1') {
  // Non-interactive run (tests, CI logs): the key is not printed, only its redacted form.
  console.log(
    `\nIssued a playground key (${playground.record.redacted}); run without DEMO_EXIT to see it.`,
  );
  console.log(
    `Console: ${base}/keyward/ (admin key ${consoleAdmin.record.redacted}; run without DEMO_EXIT to see it).`,
  );
} else {
  console.log(
    `\nThe API keeps running. A fresh key to try (shown once, never stored):\n  ${playground.key}\n`,
  );
  console.log(`  curl -i ${base}/invoices -H 'Authorization: Bearer ${playground.key}'`);
  console.log(`  curl -i -X POST ${base}/invoices -H 'X-API-Key: ${playground.key}'`);
  console.log(
    `  curl -i ${base}/admin/stats -H 'Authorization: Bearer ${playground.key}'   # 403 insufficient_scope`,
  );
  console.log(
    `  curl -i ${base}/invoices                                                  # 401 missing_key`,
  );
  console.log(`\n${bold('The console')}: ${base}/keyward/`);
  console.log(
    `  sign in with this admin key (scope keyward:admin, shown once):\n  ${consoleAdmin.key}`,
  );
  console.log('\nCtrl-C to stop.');
}

if (process.env.DEMO_EXIT === '1') {
  server.close();
  keywardConsole.close();
  await keyward.close(); // writes the last usage, stops the flush timer
  store.close?.();
} else {
  process.on('SIGINT', async () => {
    server.close();
    await keyward.close();
    store.close?.();
    process.exit(0);
  });
}
