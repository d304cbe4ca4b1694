--[[
  Accepts a request's events in one atomic step: each event with an idempotency key already seen
  is reported with the event id it was first accepted as, every other one is appended to the
  stream (and its key remembered). A consumer blocked on the stream wakes once, with the whole batch.
  Nothing is appended, and no key remembered, while the fan-out group's unread backlog is at its
  limit: the stream is never trimmed above what the group has read (trim-events-stream-1.lua), so
  the limit is what bounds it while no worker reads.

  KEYS[1] the events stream
  KEYS[2..] the idempotency keys of the events that have one, in order
  ARGV[1] the most unread entries the stream may hold
  ARGV[2] idempotency TTL in seconds
  ARGV[3] received-at unix ms
  ARGV[4..6] the entry's field names: the event JSON, the event id, the received-at time
  ARGV[7] the fan-out consumer group
  then per event: its new event id, its JSON, and 1 when it has an idempotency key (the next of
  KEYS[2..]) or 0

  Returns { accepted1, id1, accepted2, id2, … }: accepted 1 and the new id, or 0 and the id its key
  was first accepted as; or { 'backlog_full', unread } when nothing was accepted.
]]
--@include events-stream

local unread = stream_unread(KEYS[1], ARGV[7])
if unread >= tonumber(ARGV[1]) then
  return { 'backlog_full', unread }
end
local reply = {}
local key = 1
for i = 8, #ARGV, 3 do
  local id, json = ARGV[i], ARGV[i + 1]
  local existing = false
  if ARGV[i + 2] == '1' then
    key = key + 1
    existing = redis.call('GET', KEYS[key])
    if not existing then
      redis.call('SET', KEYS[key], id, 'EX', ARGV[2])
    end
  end
  if existing then
    reply[#reply + 1] = 0
    reply[#reply + 1] = existing
  else
    redis.call('XADD', KEYS[1], '*', ARGV[4], json, ARGV[5], id, ARGV[6], ARGV[3])
    reply[#reply + 1] = 1
    reply[#reply + 1] = id
  end
end
return reply
