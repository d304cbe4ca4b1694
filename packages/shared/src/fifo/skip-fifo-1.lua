--[[
  An operator skips a blocked line's head: it leaves the line (its dead letter stays, holding its
  payload), and the line goes on with its next delivery (the pump sends it out).

  KEYS[1]  the webhook's blocked lines (RedisKeys.fifoBlocked)
  ARGV[1]  the FIFO prefix (RedisKeys.fifo)
  ARGV[2]  the webhook id
  ARGV[3]  the line

  Returns the skipped head's member, or false when the line is not blocked.
]]
--@include fifo

local B, webhook, line = ARGV[1], ARGV[2], ARGV[3]
local blocked = redis.call('HGET', KEYS[1], line)
if not blocked then
  return false
end
local member = cjson.decode(blocked).m
redis.call('HDEL', KEYS[1], line)
fifo_remove(B, webhook, line, member)
local head = fifo_note_head(B, webhook, line)
if head then
  fifo_wait(B, webhook, line, head)
end
return member
