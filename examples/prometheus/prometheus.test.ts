import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExample, start } from './server.mjs';

describe('Prometheus example', () => {
  let example: RunningExample;
  beforeAll(async () => {
    example = await start({ port: 0, metricsPort: 0, host: '127.0.0.1' });
  });
  afterAll(() => example?.close());

  const get = (path: string, key?: string) =>
    fetch(`${example.url}${path}`, {
      headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
    }).then((res) => res.status);

  it('counts verifications by outcome, scraped from /metrics over HTTP', async () => {
    expect(await get('/items/1', example.key)).toBe(200);
    expect(await get('/items/2', example.key)).toBe(200);
    expect(await get('/admin', example.key)).toBe(403);
    expect(await get('/items/1')).toBe(401);
    const scrape = await fetch(example.metricsUrl);
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    expect(text).toMatch(
      /^keyward_verifications_total\{keyward_outcome="verified",keyward_environment="test",[^}]*\} 2$/m,
    );
    expect(text).toMatch(
      /^keyward_verifications_total\{keyward_outcome="insufficient_scope",keyward_environment="test",[^}]*\} 1$/m,
    );
    expect(text).toMatch(/^keyward_verifications_total\{keyward_outcome="missing_key",[^}]*\} 1$/m);
    expect(text).toMatch(/^keyward_verify_duration_count\{keyward_outcome="verified",[^}]*\} 2$/m);
    expect(text).toMatch(/^keyward_cache_entries\{[^}]*\} 1$/m);
    expect(text).not.toContain(example.key.split('_')[2]!);
  });
});
