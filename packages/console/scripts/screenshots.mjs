// Takes the console screenshots in docs/images/ (PNG) from a demo deployment with a month of
// made-up traffic, in Debian's Chromium. Not part of the test run:
//   npx pnpm@10 --filter @keyward/console build && node packages/console/scripts/screenshots.mjs
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConsole } from '@keyward/console';
import { createKeyward, MemoryStore } from '@keyward/core';
import express from 'express';
import { chromium } from 'playwright-core';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'images');
mkdirSync(out, { recursive: true });

const realNow = Date.now();
let now = realNow - 35 * 86_400_000;
const keyward = createKeyward({
  prefix: 'acme',
  environments: ['live', 'test'],
  store: new MemoryStore(),
  clock: () => now,
  usage: { flushIntervalMs: 3_600_000 },
  alerts: { onAlert: () => {} },
  failedAttempts: false,
});
// Created first: the console keeps the alerts raised from its creation on.
const keywardConsole = createConsole(keyward, { basePath: '/keyward' });
const admin = await keyward.create({
  name: 'console admin',
  scopes: ['keyward:admin'],
  actor: { type: 'cli', id: 'ops' },
});
const specs = [
  { name: 'billing service', ownerId: 'acct_42', scopes: ['invoices:*'], ips: ['10.0.0.0/8'] },
  {
    name: 'reporting script',
    ownerId: 'acct_42',
    environment: 'test',
    scopes: ['invoices:read'],
    rateLimit: { capacity: 20, refillPerSecond: 5 },
  },
  {
    name: 'ci pipeline',
    ownerId: 'acct_7',
    scopes: ['deploys:write'],
    quota: { limit: 5000, period: 'day' },
  },
  { name: 'partner sandbox', ownerId: 'acct_7', environment: 'test', scopes: ['*'] },
  { name: 'legacy integration', ownerId: 'acct_9', scopes: ['invoices:read'] },
  { name: 'mobile backend', ownerId: 'acct_9', scopes: ['orders:read', 'orders:write'] },
];
const keys = [];
for (const spec of specs) {
  keys.push(await keyward.create({ ...spec, actor: { type: 'console', id: admin.record.id } }));
}
const routes = ['/invoices', '/invoices/:id', '/reports/daily', '/orders'];
const verify = (key, i, ip = '10.1.2.3') =>
  keyward.verify({
    headers: { authorization: `Bearer ${key}` },
    ip,
    method: 'GET',
    url: routes[i % routes.length],
    route: routes[i % routes.length],
  });
// Traffic over 30 days, denser in the last day and hour, with some refusals.
for (
  let t = realNow - 30 * 86_400_000;
  t < realNow;
  t += t < realNow - 86_400_000 ? 3_600_000 : 120_000
) {
  now = t;
  const wave = 1 + Math.round(3 * (1 + Math.sin(t / 7_200_000)));
  for (let k = 0; k < keys.length; k++) {
    for (let i = 0; i < wave * (k + 1); i++) await verify(keys[k].key, i);
  }
  if (t % 7 === 0) await verify(keys[0].key, 1, '203.0.113.9');
}
now = realNow - 3_600_000;
for (let i = 0; i < 40; i++) await verify(keys[0].key, i, '203.0.113.9');
now = realNow - 600_000;
await keyward.update(
  keys[1].record.id,
  { quota: { limit: 10_000, period: 'day' } },
  { actor: { type: 'console', id: admin.record.id }, reason: 'plan upgrade' },
);
await keyward.rotate(keys[0].record.id, {
  gracePeriodMs: 86_400_000,
  actor: { type: 'console', id: admin.record.id },
  reason: 'yearly rotation',
});
await keyward.disable(keys[3].record.id, {
  actor: { type: 'console', id: admin.record.id },
  reason: 'unpaid invoice',
});
await keyward.revoke(keys[4].record.id, {
  actor: { type: 'console', id: admin.record.id },
  reason: 'leaked in a public repo',
});
await verify(keys[4].key, 0);
await keyward.flush();
now = realNow;
await new Promise((resolve) => setTimeout(resolve, 100));

const app = express();
app.use(keywardConsole.toNodeHandler());
const server = await new Promise((resolve) => {
  const s = app.listen(0, '127.0.0.1', () => resolve(s));
});
const base = `http://127.0.0.1:${server.address().port}/keyward/`;
now = Date.now();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const page = await browser.newPage({
  viewport: { width: 1280, height: 860 },
  deviceScaleFactor: 1,
});
const shot = async (name, full = false) => {
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(out, `console-${name}.png`), fullPage: full });
  console.log(`docs/images/console-${name}.png`);
};
await page.goto(base);
await shot('sign-in');
await page.fill('#admin-key', admin.key);
await page.click('button:has-text("Sign in")');
await page.waitForSelector('table.keys tbody tr svg.sparkline');
await shot('keys');
await page.click(`a:has-text("billing service")`);
await page.waitForSelector('td[data-outcome="verified"]');
await page.waitForSelector('tr[data-audit-type="key.rotated"]');
await shot('key', true);
await page.click('nav >> text=Create key');
await page.fill('input[name="name"]', 'new integration');
await page.fill('textarea[name="scopes"]', 'invoices:read');
await page.fill('textarea[name="ips"]', '10.0.0.1/33');
await page.click('button:has-text("Create key")');
await page.waitForSelector('form [role="alert"]');
await shot('create-refused', true);
await page.fill('textarea[name="ips"]', '10.0.0.0/8');
await page.click('button:has-text("Create key")');
await page.waitForSelector('#secret-dialog');
await shot('create-key-once');
await page.click('#close-secret');
await page.click('nav >> text=Alerts');
await page.waitForSelector('table tbody tr');
await shot('alerts');
await page.click('nav >> text=Review');
await page.waitForSelector('table tbody tr');
await shot('review');
await browser.close();
keywardConsole.close();
server.close();
await keyward.close();
