import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from './errors.js';
import { bearer, setup } from './test-helpers.js';
import type { VerifyResult } from './types.js';

const outcome = (result: VerifyResult | Promise<VerifyResult>) => {
  if (result instanceof Promise) throw new Error('expected a synchronous verify');
  return result.ok ? 'ok' : `${result.status} ${result.code}`;
};

describe('per-key route restrictions through verify', () => {
  it('lets a key through on its routes only: 403 route_not_allowed elsewhere, 400 invalid_path for tricks', async () => {
    const { keyward, store } = setup();
    const { key, record } = await keyward.create({
      name: 'routed',
      routes: ['GET /invoices', 'GET /invoices/*', 'POST /reports/**'],
    });
    expect(record.routes).toEqual(['GET /invoices', 'GET /invoices/*', 'POST /reports/**']);
    const at = (method: string, url: string, route?: string) =>
      outcome(keyward.verify(bearer(key, { method, url, route })));
    await keyward.verify(bearer(key, { method: 'GET', url: '/invoices' }));
    const reads = store.reads;
    expect(at('GET', '/invoices')).toBe('ok');
    expect(at('GET', '/invoices/42?expand=lines')).toBe('ok');
    expect(at('POST', '/reports/2026/q1')).toBe('ok');
    expect(at('GET', '/admin')).toBe('403 route_not_allowed');
    expect(at('DELETE', '/invoices/42')).toBe('403 route_not_allowed');
    expect(at('GET', '/invoices/42/lines')).toBe('403 route_not_allowed');
    expect(at('GET', '/invoices/../admin')).toBe('400 invalid_path');
    expect(at('GET', '/invoices/%2e%2e/admin')).toBe('400 invalid_path');
    expect(at('GET', '/invoices%2f..%2fadmin')).toBe('400 invalid_path');
    expect(at('GET', '/invoices/..%5cadmin')).toBe('400 invalid_path');
    // The template the framework matched wins over the path.
    expect(at('GET', '/invoices/../admin', '/invoices/:id')).toBe('ok');
    expect(at('GET', '/invoices/42', '/admin/:id')).toBe('403 route_not_allowed');
    expect(at('GET', '/invoices/42', '/invoices/:id/lines')).toBe('403 route_not_allowed');
    expect(store.reads).toBe(reads);
  });

  it('checks routes only after the secret matched, and after IP and referrer', async () => {
    const { keyward } = setup();
    const { key } = await keyward.create({
      name: 'routed',
      ips: ['10.0.0.0/8'],
      routes: ['GET /invoices'],
    });
    const wrongSecret = `${key.slice(0, -49)}${'A'.repeat(43)}${key.slice(-6)}`;
    const request = { method: 'GET', url: '/admin/../x', ip: '10.1.1.1' };
    expect(outcome(keyward.verify(bearer(wrongSecret, request)))).toMatch(/^401 /);
    expect(outcome(keyward.verify(bearer(key, { ...request, ip: '192.0.2.1' })))).toBe(
      '403 ip_not_allowed',
    );
    expect(outcome(keyward.verify(bearer(key, request)))).toBe('400 invalid_path');
  });

  it('update sets, replaces and removes routes; [] and null mean any route', async () => {
    const { keyward } = setup();
    const { key, record } = await keyward.create({ name: 'routed', routes: ['GET /a'] });
    const at = (url: string) => outcome(keyward.verify(bearer(key, { method: 'GET', url })));
    expect(at('/b')).toBe('403 route_not_allowed');
    const updated = await keyward.update(record.id, { routes: ['get /b'] });
    expect(updated.routes).toEqual(['GET /b']);
    expect(at('/b')).toBe('ok');
    expect(at('/a')).toBe('403 route_not_allowed');
    expect((await keyward.update(record.id, { routes: null })).routes).toBeUndefined();
    expect(at('/a/../c')).toBe('ok');
    await keyward.update(record.id, { routes: ['GET /a'] });
    expect((await keyward.update(record.id, { routes: [] })).routes).toBeUndefined();
    expect(at('/z')).toBe('ok');
  });

  it('create and update refuse a bad pattern naming the field and the entry', async () => {
    const { keyward } = setup();
    const bad = keyward.create({ name: 'x', routes: ['GET /ok', 'GET /a/../b'] });
    await expect(bad).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(bad).rejects.toThrow(/^routes\[1\]: "GET \/a\/..\/b"/);
    const { record } = await keyward.create({ name: 'x' });
    await expect(keyward.update(record.id, { routes: ['/no-method'] })).rejects.toThrow(
      /^routes\[0\]:/,
    );
  });

  it('a stored pattern keyward cannot compile (edited by hand) fails closed', async () => {
    const { keyward, store } = setup();
    const { key, record } = await keyward.create({ name: 'x', routes: ['GET /a'] });
    const stored = store.getKey(record.id)!;
    store.updateKey({ ...stored, routes: ['GET /a/../b'], version: 2 }, 1);
    keyward.clearCache();
    const result = await keyward.verify(bearer(key, { method: 'GET', url: '/a' }));
    expect(result.ok ? 'ok' : result.code).toBe('route_not_allowed');
  });

  it('the audit trail records route changes', async () => {
    const { keyward } = setup();
    const { record } = await keyward.create({ name: 'x', routes: ['GET /a'] });
    await keyward.update(record.id, { routes: ['GET /b'] });
    const { items } = await keyward.audit({ keyId: record.id });
    expect(items[0]?.changes?.['routes']).toEqual({ from: null, to: ['GET /a'] });
    expect(items[0]?.changes?.['type']).toEqual({ from: null, to: 'secret' });
    expect(items[1]?.changes?.['routes']).toEqual({ from: ['GET /a'], to: ['GET /b'] });
  });

  it('route_not_allowed and invalid_path are usage outcomes', async () => {
    const { keyward } = setup();
    const { key, record } = await keyward.create({ name: 'x', routes: ['GET /a'] });
    keyward.verify(bearer(key, { method: 'GET', url: '/b' }));
    keyward.verify(bearer(key, { method: 'GET', url: '/a/../b' }));
    keyward.verify(bearer(key, { method: 'GET', url: '/a' }));
    await keyward.flush();
    const now = Date.UTC(2025, 0, 15, 12, 0, 0);
    const { points } = await keyward.usage({
      keyId: record.id,
      from: now - 3_600_000,
      to: now + 3_600_000,
      granularity: 'day',
    });
    const outcomes = points.reduce<Record<string, number>>((all, point) => {
      for (const [name, count] of Object.entries(point.outcomes)) {
        all[name] = (all[name] ?? 0) + (count ?? 0);
      }
      return all;
    }, {});
    expect(outcomes).toMatchObject({ verified: 1, route_not_allowed: 1, invalid_path: 1 });
  });

  it('review no longer reports a live key limited to routes as unrestricted', async () => {
    const { keyward } = setup();
    const open = await keyward.create({ name: 'open', environment: 'live' });
    const routed = await keyward.create({
      name: 'routed',
      environment: 'live',
      routes: ['GET /a'],
    });
    const findings = await keyward.review({ now: Date.now() + 1000 });
    const unrestricted = findings.filter((f) => f.kind === 'unrestricted').map((f) => f.keyId);
    expect(unrestricted).toContain(open.record.id);
    expect(unrestricted).not.toContain(routed.record.id);
  });
});
