--[[
  Trims the events stream towards the newest `kept` entries, but never at or above the fan-out
  group's safe point (events-stream.lua): an entry not read yet, or read and not acknowledged,
  stays whatever the length. Only entries below that point, oldest first, go.

  KEYS[1] the events stream
  ARGV[1] the consumer group
  ARGV[2] entries kept at least (the history; HERALD_STREAM_MAXLEN)
  ARGV[3] most entries looked at in one call (bounds how long it holds Redis)

  Returns the number of entries trimmed.
]]
--@include events-stream

local excess = redis.call('XLEN', KEYS[1]) - tonumber(ARGV[2])
if excess <= 0 then
  return 0
end
local safe = stream_safe_point(KEYS[1], ARGV[1])
if safe == '0-0' then
  return 0
end
-- The oldest entries below the safe point, no more than the excess.
local below = redis.call('XRANGE', KEYS[1], '-', '(' .. safe, 'COUNT', math.min(excess, tonumber(ARGV[3])))
if #below == 0 then
  return 0
end
-- Everything older than the last of them is done with; '~' drops whole nodes only, so it may keep a
-- few more, never fewer.
return redis.call('XTRIM', KEYS[1], 'MINID', '~', below[#below][1])
