--[[
  Reads the next entries for this consumer without blocking, together with what fan-out needs to
  know to plan them — the webhooks' version and the open circuits — read after the entries, in one
  round trip. An empty answer sends the caller to a blocking read.

  KEYS[1] the events stream
  KEYS[2] the set of webhooks whose circuit is open or half-open
  KEYS[3] the webhooks' version counter, when it shares the stream's slot (one partition); else
          the caller reads it after this
  ARGV[1] the consumer group
  ARGV[2] this consumer's name
  ARGV[3] the most entries to read

  Returns { entries, open webhook ids, version or false }, entries as XREADGROUP gives them for one stream
  ({ { id, { field, value, … } }, … }), or an empty list.
]]
local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if not reply or not reply[1] or #reply[1][2] == 0 then
  return {}
end
local version = false
if KEYS[3] then
  version = redis.call('GET', KEYS[3]) or '0'
end
return { reply[1][2], redis.call('SMEMBERS', KEYS[2]), version }
