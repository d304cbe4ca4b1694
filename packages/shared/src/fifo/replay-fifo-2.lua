--[[
  A replayed dead letter of a FIFO webhook joins its line: in place of the line's blocked head when
  it is that head (the line goes on with it), else at the tail. The pump sends it out.

  KEYS[1]  the webhook's blocked lines (RedisKeys.fifoBlocked)
  KEYS[2]  the event's payload key
  ARGV[1]  the FIFO prefix (RedisKeys.fifo)
  ARGV[2]  the webhook id
  ARGV[3]  the line
  ARGV[4]  the event id
  ARGV[5]  the replay's number
  ARGV[6]  the event's JSON when the dead letter holds no reference to a stored payload (one is
           taken); '' when its reference passes to the line

  Returns 'head' or 'tail', or false when that replay (event and number) was made already.
]]
--@include payloads
--@include fifo

local B, webhook, line, event_id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
-- The same replay once only (two operators, a retried call): it is marked for a day.
if not redis.call('SET', B .. ':' .. webhook .. ':replayed:' .. event_id .. ':' .. ARGV[5], '1', 'NX', 'EX', 86400) then
  return false
end
local key = nil
local place = 'tail'
local blocked = redis.call('HGET', KEYS[1], line)
if blocked then
  local head = cjson.decode(blocked).m
  if string.match(head, '^[^|]+|(.*)|%d+$') == event_id then
    redis.call('HDEL', KEYS[1], line)
    fifo_remove(B, webhook, line, head)
    key = string.sub(head, 1, FIFO_KEY_LENGTH)
    place = 'head'
  end
end
if not key then
  local time = redis.call('TIME')
  local ms = string.format('%.0f', tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
  local seq = string.format('%.0f', redis.call('INCR', B .. ':tail') % 10000000000)
  key = fifo_pad(ms, 15) .. '-' .. fifo_pad(seq, 10)
end
local member = key .. '|' .. event_id .. '|' .. ARGV[5]
if not fifo_add(B, webhook, line, member) then
  return false
end
if ARGV[6] ~= '' then
  payload_retain(KEYS[2], ARGV[6])
end
local head = fifo_note_head(B, webhook, line)
fifo_wait(B, webhook, line, head)
return place
