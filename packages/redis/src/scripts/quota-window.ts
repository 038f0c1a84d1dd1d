/**
 * Lua for `keywardQuotaWindow(period, nowMs) -> start, finish`: the UTC-aligned window holding
 * `nowMs`, as core's `quotaWindow` computes it. Months use Howard Hinnant's civil-date
 * algorithms (proleptic Gregorian calendar, integer arithmetic on doubles).
 */
export const QUOTA_WINDOW_LUA = `
local function keywardDaysFromCivil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = m > 2 and m - 3 or m + 9
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end
local function keywardQuotaWindow(period, now)
  local size
  if period == 'minute' then size = 60000
  elseif period == 'hour' then size = 3600000
  elseif period == 'day' then size = 86400000
  elseif period == 'month' then
    local z = math.floor(now / 86400000) + 719468
    local era = math.floor(z / 146097)
    local doe = z - era * 146097
    local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
    local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
    local mp = math.floor((5 * doy + 2) / 153)
    local m = mp < 10 and mp + 3 or mp - 9
    local y = yoe + era * 400
    if m <= 2 then y = y + 1 end
    local ny, nm = y, m + 1
    if nm > 12 then ny, nm = y + 1, 1 end
    return keywardDaysFromCivil(y, m, 1) * 86400000, keywardDaysFromCivil(ny, nm, 1) * 86400000
  else
    error('unknown quota period')
  end
  local start = now - (now % size)
  return start, start + size
end
`;
