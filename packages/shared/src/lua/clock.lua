--[[
  Redis's own clock, in unix ms: every worker's scripts agree on it, whatever the workers' clocks say.
]]
local function clock_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
