import { expect } from 'vitest';

/**
 * Checks an example's console mount: the page with its CSP, the JSON API for the console admin
 * key (a create with a JSON body), and a refusal for a key without `keyward:admin`.
 */
export async function expectConsoleMounted(
  url: string,
  consoleKey: string,
  otherKey: string,
): Promise<void> {
  const page = await fetch(`${url}/keyward/`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(await page.text()).toMatch(
    /<script type="module" src="\/keyward\/assets\/app\.[0-9a-f]+\.js">/,
  );
  const bare = await fetch(`${url}/keyward`, { redirect: 'manual' });
  expect(bare.status).toBe(308);
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const session = await fetch(`${url}/keyward/api/session`, { headers: auth(consoleKey) });
  expect(session.status).toBe(200);
  const created = await fetch(`${url}/keyward/api/keys`, {
    method: 'POST',
    headers: { ...auth(consoleKey), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'from the console', environment: 'test', scopes: ['items:read'] }),
  });
  expect(created.status).toBe(201);
  const { key } = (await created.json()) as { key: string };
  expect(key).toMatch(/^demo_test_/);
  const refused = await fetch(`${url}/keyward/api/keys`, { headers: auth(otherKey) });
  expect(refused.status).toBe(403);
  expect(((await refused.json()) as { code: string }).code).toBe('insufficient_scope');
  return;
}
