import { quotaWindow } from '@keyward/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, redisAvailable, testClient } from '../../test/support.js';
import { QUOTA_WINDOW_LUA } from './quota-window.js';

const available = await redisAvailable();

const WINDOWS = `${QUOTA_WINDOW_LUA}
local out = {}
for i = 2, #ARGV do
  local start, finish = keywardQuotaWindow(ARGV[1], tonumber(ARGV[i]))
  out[#out + 1] = string.format('%.0f', start)
  out[#out + 1] = string.format('%.0f', finish)
end
return out
`;

const DAY = 86_400_000;

function samples(): number[] {
  const times = [
    0,
    Date.UTC(2000, 1, 29, 12),
    Date.UTC(2024, 1, 29, 23, 59, 59, 999),
    Date.UTC(2024, 2, 1),
    Date.UTC(2100, 1, 28, 23, 59, 59, 999),
    Date.UTC(2100, 2, 1),
    Date.UTC(2026, 11, 31, 23, 59, 59, 999),
    Date.UTC(2027, 0, 1),
    Date.UTC(2399, 11, 31, 12),
  ];
  let seed = 42;
  for (let i = 0; i < 400; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    times.push(Math.floor((seed / 2_147_483_648) * 430 * 365 * DAY));
  }
  return times;
}

describe.skipIf(!available)('quota windows computed in Lua', () => {
  const client = testClient(REDIS_URL);

  beforeAll(async () => {
    await client.ping();
  });

  afterAll(async () => {
    await client.quit();
  });

  for (const period of ['minute', 'hour', 'day', 'month'] as const) {
    it(`match core's quotaWindow for ${period} windows from 1970 to 2399`, async () => {
      const times = samples();
      const reply = (await client.eval(WINDOWS, 0, period, ...times)) as string[];
      const fromLua = times.map((_, i) => ({
        start: Number(reply[2 * i]),
        end: Number(reply[2 * i + 1]),
      }));
      expect(fromLua).toStrictEqual(times.map((time) => quotaWindow(period, time)));
    });
  }

  it('refuses an unknown period', async () => {
    await expect(client.eval(WINDOWS, 0, 'week', 0)).rejects.toThrow();
  });
});
