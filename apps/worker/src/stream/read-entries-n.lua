--[[
  Reads the next entries for this consumer without blocking, together with what fan-out needs to
  know to plan them — the webhooks' version and the open circuits — read after the entries, in one
  round trip. In a partition that has FIFO webhooks, the entries read are recorded as being planned
  (fifo/fifo.lua: a line's head waits for every earlier entry to be planned), in this same step.

  KEYS[1] the events stream
  KEYS[2] the set of webhooks whose circuit is open or half-open
  KEYS[3] the partition's FIFO switch (set once it has a FIFO webhook)
  KEYS[4] the partition's set of entries being planned
  KEYS[5] the webhooks' version counter, when it shares the stream's slot (one partition); else
          the caller reads it after this
  ARGV[1] the consumer group
  ARGV[2] this consumer's name
  ARGV[3] the most entries to read

  Returns { entries, open webhook ids, version or false, FIFO on (0 or 1), last entry id or false },
  entries as XREADGROUP gives them for one stream ({ { id, { field, value, … } }, … }), maybe none:
  then the caller blocks until there are on XREAD after the last entry id, so that entries are
  always read here (and recorded, with FIFO on) — never by a blocking XREADGROUP, which could hand
  entries out unrecorded.
]]
--@include fifo

local fifo = redis.call('EXISTS', KEYS[3])
local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if not reply or not reply[1] or #reply[1][2] == 0 then
  local last = (redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1] or { '0-0' })[1]
  return { {}, {}, false, fifo, last }
end
local entries = reply[1][2]
if fifo == 1 then
  -- In chunks: unpack takes a few thousand values at most.
  for first = 1, #entries, 1000 do
    local members = {}
    for i = first, math.min(#entries, first + 999) do
      table.insert(members, 0)
      table.insert(members, fifo_order_key(entries[i][1]))
    end
    redis.call('ZADD', KEYS[4], unpack(members))
  end
end
local version = false
if KEYS[5] then
  version = redis.call('GET', KEYS[5]) or '0'
end
return { entries, redis.call('SMEMBERS', KEYS[2]), version, fifo, false }
