import type { LimitResult, RateLimit } from '@keyward/core';

/**
 * One atomic take from a token bucket stored as a hash `{ tokens, at }` (`at` in µs of the Redis
 * server's clock). Elapsed time is clamped at 0, so a server clock stepping back never adds
 * tokens. The key expires when the bucket would be full again (a missing bucket is a full one).
 * Returns `{ allowed (1/0), tokens left as a string }`: Redis truncates Lua numbers to integers.
 *
 * KEYS[1] bucket · ARGV capacity, refillPerSecond, cost
 */
export const TOKEN_BUCKET_LUA = `
if redis.replicate_commands then redis.replicate_commands() end
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = capacity
local at = now
if state[1] and state[2] then
  local last = tonumber(state[2])
  tokens = math.min(capacity, tonumber(state[1]) + math.max(0, now - last) * rate / 1000000)
  at = math.max(now, last)
end
local allowed = 0
-- A hair of tolerance, as in core: waiting exactly retryAfterMs must succeed despite rounding.
if tokens + 1e-9 >= cost then
  tokens = math.max(0, tokens - cost)
  allowed = 1
end
local fullInMs = math.min(math.ceil((capacity - tokens) * 1000 / rate), 9007199254740991)
if fullInMs > 0 then
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.0f', at))
  redis.call('PEXPIRE', KEYS[1], string.format('%.0f', fullInMs + 1))
else
  redis.call('DEL', KEYS[1])
end
return { allowed, string.format('%.17g', tokens) }
`;

/** Turns the script's reply into a {@link LimitResult}, with core's `takeToken` arithmetic. */
export function bucketResult(limit: RateLimit, cost: number, reply: unknown): LimitResult {
  const [flag, left] = reply as [number, string];
  const allowed = flag === 1;
  const tokens = Number(left);
  if (!Number.isFinite(tokens)) throw new TypeError('unexpected token-bucket reply from Redis');
  const msPerToken = 1000 / limit.refillPerSecond;
  return {
    allowed,
    remaining: Math.floor(tokens + 1e-9),
    retryAfterMs: allowed ? 0 : Math.ceil((cost - tokens) * msPerToken),
    resetMs: Math.ceil((limit.capacity - tokens) * msPerToken),
  };
}
