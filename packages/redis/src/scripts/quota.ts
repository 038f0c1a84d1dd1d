import type { LimitResult, Quota } from '@keyward/core';
import { QUOTA_WINDOW_LUA } from './quota-window.js';

/**
 * One atomic count against a fixed UTC-aligned quota window, stored as a hash `{ start, used }`.
 * The window comes from the Redis server's clock (TIME), so every host agrees on it. Counts only
 * when `used + cost <= limit` (never over-counts) and expires the key at the window's end.
 * Returns `{ allowed (1/0), used as a string, ms until the window ends }`.
 *
 * KEYS[1] quota · ARGV limit, cost, period
 */
export const QUOTA_LUA = `
if redis.replicate_commands then redis.replicate_commands() end
${QUOTA_WINDOW_LUA}
local limit = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local start, finish = keywardQuotaWindow(ARGV[3], now)
local state = redis.call('HMGET', KEYS[1], 'start', 'used')
local used = 0
if state[1] and state[2] and tonumber(state[1]) == start then used = tonumber(state[2]) end
local allowed = 0
if used + cost <= limit then
  used = used + cost
  allowed = 1
  redis.call('HSET', KEYS[1], 'start', string.format('%.0f', start), 'used', string.format('%.17g', used))
  redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', finish))
end
return { allowed, string.format('%.17g', used), finish - now }
`;

/** Turns the script's reply into a {@link LimitResult}, with core's `countQuota` arithmetic. */
export function quotaResult(quota: Quota, reply: unknown): LimitResult {
  const [flag, counted, resetMs] = reply as [number, string, number];
  const used = Number(counted);
  if (!Number.isFinite(used) || typeof resetMs !== 'number') {
    throw new TypeError('unexpected quota reply from Redis');
  }
  const allowed = flag === 1;
  return {
    allowed,
    remaining: Math.max(0, quota.limit - used),
    retryAfterMs: allowed ? 0 : resetMs,
    resetMs,
  };
}
