// Console section: the web console in Debian's Chromium (playwright-core). Run: node bench/run.mjs console
//
// Targets (issue #18): the first load (page, script and style as transferred, gzipped) at most
// 150 KB, and the keys page with 100,000 keys showing its first page in under 1 s. Measured: the
// bytes of the first load, and the time from navigation start to the first row of the keys page
// with 100,000 keys in a MemoryStore, as a median of interleaved rounds and as a ratio to the
// same page with 50 keys measured in the same run (the baseline: what the page costs with no
// store work to speak of). Also the search among 100,000 keys (click to row shown).
//
// Needs the built console (npx pnpm@10 --filter @keyward/console build) and Chromium
// (CHROMIUM_PATH, default /usr/bin/chromium); skipped with the reason when it is missing.

import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import {
  boundedInt,
  figure,
  formatRatio,
  heading,
  loadPackage,
  loadPackageDependency,
  median,
  printTable,
  publish,
} from './lib.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const KEYS = boundedInt(process.env.KEYWARD_BENCH_CONSOLE_KEYS, 100_000, 1000, 1_000_000);
const ROUNDS = boundedInt(process.env.KEYWARD_BENCH_CONSOLE_ROUNDS, 7, 3, 50);
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

heading(`Console: first load and the keys page of ${KEYS.toLocaleString('en')} keys, in Chromium`);
if (!existsSync(CHROMIUM)) {
  console.log(`  skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  await publish({ figures: {}, details: { skipped: `no Chromium at ${CHROMIUM}` } });
  process.exit(0);
}
const { createKeyward, MemoryStore } = await loadPackage('core');
const { createConsole } = await loadPackage('console');
const { chromium } = await loadPackageDependency('console', 'playwright-core/index.mjs');

/** A keyward with `count` keys (one made by create, the rest copies of its record), the console on http. */
async function deployment(count) {
  const store = new MemoryStore();
  const keyward = createKeyward({ prefix: 'bench', environments: ['live'], store });
  const admin = await keyward.create({ name: 'admin', scopes: ['keyward:admin'] });
  const template = await store.getKey(admin.record.id);
  for (let i = 0; i < count; i++) {
    let n = i;
    let suffix = '';
    for (let j = 0; j < 6; j++) {
      suffix = ALPHABET[n % 62] + suffix;
      n = Math.floor(n / 62);
    }
    store.insertKey({ ...template, id: `K00000${suffix}`, name: `key ${i}`, scopes: ['x:read'] });
  }
  const keywardConsole = createConsole(keyward, { basePath: '/keyward' });
  const server = createServer(keywardConsole.toNodeHandler());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/keyward/`,
    adminKey: admin.key,
    close: async () => {
      keywardConsole.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await keyward.close();
    },
  };
}

const FIRST_ROW = `new Promise((resolve) => {
  const check = () =>
    document.querySelector('table.keys tbody tr') ? resolve(performance.now()) : requestAnimationFrame(check);
  check();
})`;
const FIRST_LOAD_BYTES = `performance.getEntries()
  .filter((e) => (e.entryType === 'navigation' || e.entryType === 'resource') && !e.name.includes('/api/'))
  .reduce((sum, e) => sum + e.encodedBodySize, 0)`;

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
const small = await deployment(50);
const big = await deployment(KEYS);
const pages = [];
for (const target of [small, big]) {
  const page = await browser.newPage();
  await page.goto(target.url);
  await page.fill('#admin-key', target.adminKey);
  await page.click('button:has-text("Sign in")');
  await page.waitForSelector('table.keys tbody tr');
  pages.push({ target, page, times: [] });
}
let firstLoadBytes = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const entry of round % 2 === 0 ? pages : [...pages].reverse()) {
    await entry.page.goto('about:blank');
    await entry.page.goto(`${entry.target.url}#/keys`);
    entry.times.push(await entry.page.evaluate(FIRST_ROW));
    firstLoadBytes = await entry.page.evaluate(FIRST_LOAD_BYTES);
  }
}
const searches = [];
const bigPage = pages[1].page;
for (let round = 0; round < ROUNDS; round++) {
  const name = `key ${Math.floor((KEYS * (round + 1)) / (ROUNDS + 2))}`;
  await bigPage.fill('input[name="search"]', name);
  const started = performance.now();
  await bigPage.click('button:has-text("Filter")');
  await bigPage.waitForFunction((wanted) => {
    const cells = [...document.querySelectorAll('table.keys tbody tr td:first-child')];
    return cells.length === 1 && cells[0].textContent === wanted;
  }, name);
  searches.push(performance.now() - started);
}
await browser.close();
await small.close();
await big.close();

const smallMs = median(pages[0].times);
const bigMs = median(pages[1].times);
const searchMs = median(searches);
printTable([
  ['', 'median', 'rounds'],
  ['first load, gzipped (page + script + style)', `${(firstLoadBytes / 1024).toFixed(1)} KB`, '—'],
  ['keys page, 50 keys: navigation to first row', `${smallMs.toFixed(0)} ms`, String(ROUNDS)],
  [
    `keys page, ${KEYS.toLocaleString('en')} keys: navigation to first row`,
    `${bigMs.toFixed(0)} ms`,
    String(ROUNDS),
  ],
  [`  ratio to 50 keys`, formatRatio(bigMs / smallMs), ''],
  [
    `search among ${KEYS.toLocaleString('en')} keys: click to row`,
    `${searchMs.toFixed(0)} ms`,
    String(ROUNDS),
  ],
]);
await publish({
  figures: {
    'console.firstLoad.gzipBytes': figure(
      'console first load, gzipped',
      firstLoadBytes,
      'B',
      'lower',
    ),
    'console.keys100k.firstRow.ms': figure(
      `console keys page, ${KEYS} keys: first row`,
      bigMs,
      'ms',
      'lower',
    ),
    'console.keys50.firstRow.ms': figure(
      'console keys page, 50 keys: first row',
      smallMs,
      'ms',
      'lower',
    ),
    'console.keys100k.ratio': figure(
      `first row, ${KEYS} keys / 50 keys`,
      bigMs / smallMs,
      'x',
      'lower',
    ),
    'console.search100k.ms': figure(`console search among ${KEYS} keys`, searchMs, 'ms', 'lower'),
  },
  details: {
    keys: KEYS,
    rounds: ROUNDS,
    firstRowMs: { keys50: pages[0].times, [`keys${KEYS}`]: pages[1].times },
    searchMs: searches,
    chromium: CHROMIUM,
  },
});
