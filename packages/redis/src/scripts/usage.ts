/**
 * Adds one chunk of usage rows at minute, hour and day level, raises last uses, and gives every
 * hash it creates a field in its expiry — one atomic call whose keys all share one hash tag (one
 * Redis Cluster slot: the hashes are named from `stem`, which carries the tag). With a batch
 * marker, a chunk already applied (the marker exists) changes nothing and returns 0.
 *
 * Hashes: `<stem>:m:<subject>:<hour #>` (minute cells), `<stem>:h:<subject>:<day #>` (hour
 * cells), `<stem>:d:<subject>:<30-day period #>` (day cells), numbered from the epoch; a field is
 * `<offset in the hash's span>|<outcome>|<route>` holding the count, and `$` + field holds
 * cost − count when they differ. A hash's expiry is the end of its span plus the retention, set
 * when a call creates a field in it (an existing field means the hash already has its expiry).
 *
 * KEYS[1] batch marker · KEYS[2] last-use sorted set
 * ARGV[1] marker ttl ms (0: none) · ARGV[2] stem · ARGV[3..5] retention ms (minute, hour, day)
 * ARGV[6] "S,O,R" · then S subjects, O outcomes, R routes; then the last uses, "s,ms;" each
 * (subject #, time); and last the rows, "s,m,o,r,c,x;" each (subject #, minute since the epoch,
 * outcome #, route #, count, cost − count).
 */
export const RECORD_USAGE_LUA = `
local marker = tonumber(ARGV[1])
if marker > 0 and not redis.call('SET', KEYS[1], '1', 'NX', 'PX', marker) then return 0 end
local stem = ARGV[2]
local keep = { tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]) }
local ns, no, nr = string.match(ARGV[6], '^(%d+),(%d+),(%d+)$')
ns, no, nr = tonumber(ns), tonumber(no), tonumber(nr)
local subjects, outcomes, routes = {}, {}, {}
local i = 7
for k = 1, ns do subjects[k] = ARGV[i]; i = i + 1 end
for k = 1, no do outcomes[k] = ARGV[i]; i = i + 1 end
for k = 1, nr do routes[k] = ARGV[i]; i = i + 1 end
local used = {}
for sn, at in string.gmatch(ARGV[i] or '', '(%d+),(%d+);') do
  used[#used + 1] = at
  used[#used + 1] = subjects[tonumber(sn)]
  if #used == 400 then
    redis.call('ZADD', KEYS[2], 'GT', unpack(used))
    used = {}
  end
end
if #used > 0 then redis.call('ZADD', KEYS[2], 'GT', unpack(used)) end
i = i + 1
local expiring = {}
local function expire(key, at)
  if not expiring[key] then
    expiring[key] = true
    redis.call('PEXPIREAT', key, string.format('%.0f', at))
  end
end
local names, tails = {}, {}
for k = 1, ns do names[k] = ':' .. subjects[k] .. ':' end
local m, h, d = stem .. ':m', stem .. ':h', stem .. ':d'
for sn, mn, on, rn, c, x in string.gmatch(ARGV[i] or '', '(%d+),(%d+),(%d+),(%d+),(%d+),(%d+);') do
  local name = names[tonumber(sn)]
  local minute = tonumber(mn)
  local pair = on .. ',' .. rn
  local tail = tails[pair]
  if not tail then
    tail = '|' .. outcomes[tonumber(on)] .. '|' .. routes[tonumber(rn)]
    tails[pair] = tail
  end
  local count, extra = tonumber(c), tonumber(x)
  local hour = math.floor(minute / 60)
  local day = math.floor(minute / 1440)
  local period = math.floor(day / 30)
  local key, field = m .. name .. hour, (minute - hour * 60) .. tail
  if redis.call('HINCRBY', key, field, count) == count then expire(key, (hour + 1) * 3600000 + keep[1]) end
  if extra ~= 0 then redis.call('HINCRBY', key, '$' .. field, extra) end
  key, field = h .. name .. day, (hour - day * 24) .. tail
  if redis.call('HINCRBY', key, field, count) == count then expire(key, (day + 1) * 86400000 + keep[2]) end
  if extra ~= 0 then redis.call('HINCRBY', key, '$' .. field, extra) end
  key, field = d .. name .. period, (day - period * 30) .. tail
  if redis.call('HINCRBY', key, field, count) == count then expire(key, (period + 1) * 2592000000 + keep[3]) end
  if extra ~= 0 then redis.call('HINCRBY', key, '$' .. field, extra) end
end
return 1
`;
