import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from './errors.js';
import { setup } from './test-helpers.js';

describe('no silent typos: unknown option names are errors that name them', () => {
  it('create refuses ip:, route:, referer: and any other unknown name, creating nothing', async () => {
    const { keyward, store } = setup();
    for (const typo of ['ip', 'route', 'referer', 'scope', 'expires', 'owner']) {
      const create = keyward.create({ name: 'x', [typo]: ['10.0.0.0/8'] } as never);
      await expect(create).rejects.toBeInstanceOf(InvalidOptionsError);
      await expect(create).rejects.toThrow(`"${typo}"`);
    }
    expect(store.listKeys({ limit: 10 }).items).toEqual([]);
  });

  it('update refuses unknown names and leaves the key unchanged', async () => {
    const { keyward } = setup();
    const { record } = await keyward.create({ name: 'x', ips: ['10.0.0.0/8'] });
    for (const typo of ['ip', 'route', 'rateLimits']) {
      await expect(keyward.update(record.id, { [typo]: null } as never)).rejects.toThrow(
        `"${typo}"`,
      );
    }
    await expect(
      keyward.update(record.id, { name: 'y' }, { expectedVerison: 1 } as never),
    ).rejects.toThrow('"expectedVerison"');
    await expect(keyward.rotate(record.id, { grace: 1000 } as never)).rejects.toThrow('"grace"');
    await expect(keyward.revoke(record.id, { why: 'x' } as never)).rejects.toThrow('"why"');
    await expect(keyward.list({ owner: 'a' } as never)).rejects.toThrow('"owner"');
    const info = await keyward.get(record.id);
    expect(info?.ips).toEqual(['10.0.0.0/8']);
    expect(info?.version).toBe(1);
  });

  it('refuses unknown names inside rateLimit and quota', async () => {
    const { keyward } = setup();
    await expect(
      keyward.create({
        name: 'x',
        rateLimit: { capacity: 5, refillPerSecond: 1, burst: 9 } as never,
      }),
    ).rejects.toThrow(/^rateLimit: unknown option "burst"/);
    await expect(
      keyward.create({ name: 'x', quota: { limit: 5, period: 'day', per: 'x' } as never }),
    ).rejects.toThrow(/^quota: unknown option "per"/);
  });

  it('createKeyward refuses an unknown option with a TypeError naming it', () => {
    expect(() => setup({ enviroments: ['live'] } as never)).toThrow(/"enviroments"/);
    expect(() => setup({ cache: { ttl: 5 } } as never)).toThrow(/^cache: unknown option "ttl"/);
    expect(() => setup({ usage: { flushInterval: 5 } } as never)).toThrow(/"flushInterval"/);
  });
});
