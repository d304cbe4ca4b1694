--[[
  Accepts an event once per idempotency key: remembers the key and appends the event to the
  stream in one atomic step, or reports the event id the key was first accepted as.

  KEYS[1] idempotency key
  KEYS[2] events stream
  ARGV[1] event id for a new event
  ARGV[2] idempotency TTL in seconds
  ARGV[3] approximate stream MAXLEN
  ARGV[4] event JSON
  ARGV[5] received-at unix ms

  Returns { 1, eventId } when the event was added, { 0, originalEventId } for a duplicate.
]]
local existing = redis.call('GET', KEYS[1])
if existing then
  return { 0, existing }
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'event', ARGV[4], 'eventId', ARGV[1], 'receivedAt', ARGV[5])
return { 1, ARGV[1] }
