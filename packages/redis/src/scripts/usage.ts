/**
 * Adds one chunk of usage cells, raises last uses and names the (outcome, route) pairs its cells
 * use — one atomic call whose keys all share one hash tag (one Redis Cluster slot). With a batch
 * marker, a chunk already applied (the marker exists) changes nothing and returns 0.
 *
 * The layout (see `usage.ts`): a cell is a hash field holding a count, beside `$` + its name
 * holding cost − count when they differ. Subjects' cells live in hashes shared by the tag: minute
 * cells in one hash per hour, hour cells in one per day, day cells in one per 30 days, the field
 * `<offset in the hash's span>:<subject>:<pair code>`. A cell is sent once, as
 * `<subject>:<pair code>`, in a group of one minute that gives the three offsets; the script adds
 * it at the three granularities (a *shared* group). The day hash also holds
 * `#<day offset>:<subject>` → the pair codes the subject used that day, `,`-joined, a code with `$`
 * after it when it has cost fields: the index reads start from. It learns a code when its day cell
 * is new (the HINCRBY returns what was added), in the same call as the cells. The deployment's
 * cells are added to one hash each, fields named in full (a *plain* group). Every hash expires at
 * the end of its span plus the retention, the same instant for every write to it; the pair
 * dictionary lives as long as the longest-lived hash written with it.
 *
 * KEYS[1] batch marker · KEYS[2] last-use sorted set · KEYS[3] pair dictionary (code → text) ·
 * then per group its minute, hour and day hashes (shared) or its one hash (plain).
 * ARGV[1] marker ttl ms (0: none) · ARGV[2] number of pairs P · ARGV[3] number of last uses U ·
 * then P × (code, `<outcome>|<route>`), U × (ms, key id), and per group (in KEYS order): 1, the
 * minute, hour and day offsets each followed by `:`, and the three expiries (shared), or 0 and the
 * expiry (plain); its number of count fields C and of cost fields X; then C × (cell, count) and
 * X × (cell, cost − count), cells as `<subject>:<pair code>` (shared) or full field names without
 * the `$` (plain). Expiries are ms since the epoch.
 */
export const RECORD_USAGE_LUA = `
local marker = tonumber(ARGV[1])
if marker > 0 and not redis.call('SET', KEYS[1], '1', 'NX', 'PX', marker) then return 0 end
local call, find, sub = redis.call, string.find, string.sub
local np, nu = tonumber(ARGV[2]), tonumber(ARGV[3])
local i = 4
if np > 0 then call('HSET', KEYS[3], unpack(ARGV, i, i + 2 * np - 1)) end
i = i + 2 * np
local last = i + 2 * nu - 1
for from = i, last, 400 do
  call('ZADD', KEYS[2], 'GT', unpack(ARGV, from, math.min(last, from + 399)))
end
i = last + 1
local longest = 0
local k = 4
while k <= #KEYS do
  if ARGV[i] == '1' then
    local m, h, d = KEYS[k], KEYS[k + 1], KEYS[k + 2]
    local mo, ho, dayo = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    local expiries = { ARGV[i + 4], ARGV[i + 5], ARGV[i + 6] }
    local counts, costs = tonumber(ARGV[i + 7]), tonumber(ARGV[i + 8])
    i = i + 9
    local learned, ids = {}, {}
    local function learn(cell, suffix)
      local id, entry = '#' .. dayo .. sub(cell, 1, -14), sub(cell, -12) .. suffix
      local entries = learned[id]
      if not entries then
        entries = {}
        learned[id] = entries
        ids[#ids + 1] = id
      end
      entries[#entries + 1] = entry
    end
    for j = i, i + 2 * counts - 1, 2 do
      local cell, n = ARGV[j], ARGV[j + 1]
      call('HINCRBY', m, mo .. cell, n)
      call('HINCRBY', h, ho .. cell, n)
      if call('HINCRBY', d, dayo .. cell, n) == tonumber(n) then learn(cell, '') end
    end
    i = i + 2 * counts
    for j = i, i + 2 * costs - 1, 2 do
      local cell, n = ARGV[j], ARGV[j + 1]
      call('HINCRBY', m, '$' .. mo .. cell, n)
      call('HINCRBY', h, '$' .. ho .. cell, n)
      if call('HINCRBY', d, '$' .. dayo .. cell, n) == tonumber(n) then learn(cell, '$') end
    end
    i = i + 2 * costs
    for from = 1, #ids, 500 do
      local to = math.min(#ids, from + 499)
      local known = call('HMGET', d, unpack(ids, from, to))
      local args = {}
      for j = from, to do
        local id, codes, changed = ids[j], known[j - from + 1] or '', false
        for _, entry in ipairs(learned[id]) do
          if not find(',' .. codes .. ',', ',' .. entry .. ',', 1, true) then
            codes = codes == '' and entry or codes .. ',' .. entry
            changed = true
          end
        end
        if changed then
          args[#args + 1] = id
          args[#args + 1] = codes
        end
      end
      if #args > 0 then call('HSET', d, unpack(args)) end
    end
    for n = 1, 3 do
      call('PEXPIREAT', KEYS[k + n - 1], expiries[n])
      if tonumber(expiries[n]) > longest then longest = tonumber(expiries[n]) end
    end
    k = k + 3
  else
    local name, expiry = KEYS[k], ARGV[i + 1]
    local counts, costs = tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
    i = i + 4
    for j = i, i + 2 * counts - 1, 2 do call('HINCRBY', name, ARGV[j], ARGV[j + 1]) end
    i = i + 2 * counts
    for j = i, i + 2 * costs - 1, 2 do call('HINCRBY', name, '$' .. ARGV[j], ARGV[j + 1]) end
    i = i + 2 * costs
    call('PEXPIREAT', name, expiry)
    if tonumber(expiry) > longest then longest = tonumber(expiry) end
    k = k + 1
  end
end
if longest > 0 then
  local ttl = call('PTTL', KEYS[3])
  local now = call('TIME')
  if ttl == -1 or (ttl >= 0 and now[1] * 1000 + math.floor(now[2] / 1000) + ttl < longest) then
    call('PEXPIREAT', KEYS[3], string.format('%.0f', longest))
  end
end
return 1
`;
