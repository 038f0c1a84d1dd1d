/**
 * Adds one chunk of usage cells to their hashes, raises last uses and sets each hash's expiry, in
 * one atomic call whose keys all share a hash tag (one Redis Cluster slot). With a batch marker,
 * a chunk already applied (the marker exists) changes nothing and returns 0.
 *
 * KEYS[1] batch marker · KEYS[2] last-use sorted set · KEYS[3..] hashes
 * ARGV: marker ttl ms (0: none) · hash count H · H expiry times (ms) · last-use count L ·
 *       L (score, member) pairs · then cells: (hash index, field, count, cost - count)
 */
export const RECORD_USAGE_LUA = `
local marker = tonumber(ARGV[1])
if marker > 0 and not redis.call('SET', KEYS[1], '1', 'NX', 'PX', marker) then return 0 end
local hashes = tonumber(ARGV[2])
local i = 3 + hashes
local used = tonumber(ARGV[i])
i = i + 1
local j = 0
while j < used do
  local args = {}
  local n = math.min(used - j, 200)
  for k = 0, n - 1 do
    args[2 * k + 1] = ARGV[i + 2 * (j + k)]
    args[2 * k + 2] = ARGV[i + 2 * (j + k) + 1]
  end
  redis.call('ZADD', KEYS[2], 'GT', unpack(args))
  j = j + n
end
i = i + 2 * used
while i <= #ARGV do
  local key = KEYS[2 + tonumber(ARGV[i])]
  redis.call('HINCRBY', key, ARGV[i + 1], ARGV[i + 2])
  if ARGV[i + 3] ~= '0' then redis.call('HINCRBY', key, '$' .. ARGV[i + 1], ARGV[i + 3]) end
  i = i + 4
end
for h = 1, hashes do redis.call('PEXPIREAT', KEYS[2 + h], ARGV[2 + h]) end
return 1
`;
