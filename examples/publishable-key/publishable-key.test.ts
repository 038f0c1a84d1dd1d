import { existsSync } from 'node:fs';
import { type Browser, chromium, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExample, start } from './server.mjs';

/** Debian's chromium (`apt-get install -y chromium`; .ci/run installs it when missing). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) {
  throw new Error(`the browser test needs chromium at ${CHROMIUM} (apt-get install -y chromium)`);
}

describe.skipIf(!haveChromium)('publishable-key example in a real browser', () => {
  let example: RunningExample;
  let browser: Browser;

  beforeAll(async () => {
    example = await start({ host: '127.0.0.1', apiPort: 0, webPort: 0, otherPort: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Root in a container has no user namespaces for chromium's sandbox.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await example?.close();
  });

  /** Opens `url` in a fresh browser context and waits for the page's call to the API to end. */
  async function visit(url: string) {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const requests: Request[] = [];
      page.on('request', (request) => {
        if (request.url().startsWith(`${example.apiUrl}/catalog`)) requests.push(request);
      });
      await page.goto(url);
      const result = page.locator('#result[data-status]');
      await result.waitFor({ timeout: 20_000 });
      return {
        status: await result.getAttribute('data-status'),
        code: await result.getAttribute('data-code'),
        items: await page.locator('#items li').allTextContents(),
        // Every header as sent on the wire (Origin and Referer included).
        sent: await Promise.all(requests.map((request) => request.allHeaders())),
      };
    } finally {
      await context.close();
    }
  }

  it('serves the catalog to the page on the origin the key was issued for', async () => {
    const seen = await visit(example.webUrl);
    expect(seen).toMatchObject({ status: '200', code: 'ok' });
    expect(seen.items).toStrictEqual(['widget — 4.00 EUR', 'gadget — 12.50 EUR']);
    // The browser sent the key and its own Origin (which the page cannot change).
    const request = seen.sent.find((headers) => headers['x-api-key'] !== undefined);
    expect(request?.['x-api-key']).toBe(example.publishableKey);
    expect(request?.origin).toBe(example.webUrl);
    expect(request?.referer).toBe(`${example.webUrl}/`);
  });

  it('refuses the same page and key served from another origin', async () => {
    expect(await visit(example.otherUrl)).toMatchObject({
      status: '403',
      code: 'referrer_not_allowed',
      items: [],
    });
  });

  it('checks the Origin when the page sends no Referer', async () => {
    const seen = await visit(`${example.webUrl}/?noreferrer`);
    expect(seen).toMatchObject({ status: '200', code: 'ok' });
    const request = seen.sent.find((headers) => headers['x-api-key'] !== undefined);
    expect(request?.referer).toBeUndefined();
    expect(request?.origin).toBe(example.webUrl);
    expect(await visit(`${example.otherUrl}/?noreferrer`)).toMatchObject({
      status: '403',
      code: 'referrer_not_allowed',
    });
  });
});

describe('publishable-key example over plain HTTP', () => {
  let example: RunningExample;
  beforeAll(async () => {
    example = await start({ host: '127.0.0.1', apiPort: 0, webPort: 0, otherPort: 0 });
  });
  afterAll(() => example?.close());

  const call = async (path: string, key: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${example.apiUrl}${path}`, {
      headers: { 'x-api-key': key, ...headers },
    });
    const body = (await res.json()) as Record<string, unknown>;
    return { status: res.status, code: body['code'] };
  };

  it('issues a publishable key, marked pk', () => {
    expect(example.publishableKey).toMatch(/^shop_pk_live_/);
    expect(example.secretKey).toMatch(/^shop_live_/);
  });

  it('accepts the key with the page origin, refuses it with another or with none', async () => {
    expect(await call('/catalog', example.publishableKey, { origin: example.webUrl })).toEqual({
      status: 200,
      code: undefined,
    });
    expect(await call('/catalog', example.publishableKey, { origin: example.otherUrl })).toEqual({
      status: 403,
      code: 'referrer_not_allowed',
    });
    expect(await call('/catalog', example.publishableKey)).toEqual({
      status: 403,
      code: 'referrer_not_allowed',
    });
    // A Referer of the page's origin does not excuse an Origin of another.
    expect(
      await call('/catalog', example.publishableKey, {
        referer: `${example.webUrl}/`,
        origin: example.otherUrl,
      }),
    ).toEqual({ status: 403, code: 'referrer_not_allowed' });
  });

  it('keeps the publishable key off the secret-key route, and the secret key off the catalog', async () => {
    expect(await call('/orders', example.publishableKey, { origin: example.webUrl })).toEqual({
      status: 403,
      code: 'wrong_key_type',
    });
    expect(await call('/orders', example.secretKey)).toEqual({ status: 200, code: undefined });
    expect(await call('/catalog', example.secretKey)).toEqual({
      status: 403,
      code: 'wrong_key_type',
    });
  });

  it('answers the CORS preflight without a key', async () => {
    const res = await fetch(`${example.apiUrl}/catalog`, {
      method: 'OPTIONS',
      headers: {
        origin: example.webUrl,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'x-api-key',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(example.webUrl);
    expect(res.headers.get('access-control-allow-headers')).toBe('X-API-Key');
  });
});
