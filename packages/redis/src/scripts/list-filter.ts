/**
 * Filters a chunk of key records by type, status and search, on the server, so a filtered listing
 * ships only the records that match. Stops after `want` matches. Returns the matching records'
 * JSON in the order of KEYS. Status as `keyStatus` in core: revoked, else disabled, else expired (expiresAt ≤ now),
 * else active. Search: the id exactly, or the ASCII-lowered name containing the ASCII-lowered
 * text (`string.lower` is ASCII-only in Redis's C locale; `string.find` with `plain`, so `%`,
 * `_` and `\` are plain characters).
 *
 * Type: `secret` matches every record that is not publishable (records written before types
 * existed are secret), `publishable` only those that are.
 *
 * KEYS the records · ARGV status ('' for any), now, search ('' for none), folded search, want,
 * type ('' for any)
 */
export const FILTER_KEYS_LUA = `
local status, now, search, folded = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local want = tonumber(ARGV[5])
local keyType = ARGV[6] or ''
local null = cjson.null
local out = {}
for i = 1, #KEYS do
  local json = redis.call('HGET', KEYS[i], 'json')
  if json then
    local r = cjson.decode(json)
    local ok = true
    if keyType ~= '' then ok = (r.type == 'publishable') == (keyType == 'publishable') end
    if ok and status ~= '' then
      local s = 'active'
      if r.revokedAt ~= nil and r.revokedAt ~= null then s = 'revoked'
      elseif r.disabled == true then s = 'disabled'
      elseif r.expiresAt ~= nil and r.expiresAt ~= null and r.expiresAt <= now then s = 'expired'
      end
      ok = s == status
    end
    if ok and search ~= '' and r.id ~= search then
      ok = type(r.name) == 'string' and string.find(string.lower(r.name), folded, 1, true) ~= nil
    end
    if ok then
      out[#out + 1] = json
      if #out >= want then return out end
    end
  end
end
return out
`;
