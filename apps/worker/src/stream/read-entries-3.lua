--[[
  Reads the next entries for this consumer without blocking, together with what fan-out needs to
  know to plan them — the webhooks' version and the open circuits — read after the entries, in one
  round trip. An empty answer sends the caller to a blocking read.

  KEYS[1] the events stream
  KEYS[2] the webhooks' version counter
  KEYS[3] the set of webhooks whose circuit is open or half-open
  ARGV[1] the consumer group
  ARGV[2] this consumer's name
  ARGV[3] the most entries to read

  Returns { entries, version, open webhook ids }, entries as XREADGROUP gives them for one stream
  ({ { id, { field, value, … } }, … }), or an empty list.
]]
local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if not reply or not reply[1] or #reply[1][2] == 0 then
  return {}
end
return { reply[1][2], redis.call('GET', KEYS[2]) or '0', redis.call('SMEMBERS', KEYS[3]) }
