--[[
  Lets every blocked line of a webhook go on without its blocked head (whose dead letter stays,
  holding its payload): for a webhook deleted, or whose ordering was removed or changed its key,
  whose lines would otherwise wait for an operator forever. The pump sends their next heads out,
  and the processor skips them (deleted webhook) or delivers them (ordering changed).

  KEYS[1]  the webhook's blocked lines (RedisKeys.fifoBlocked)
  ARGV[1]  the FIFO prefix (RedisKeys.fifo)
  ARGV[2]  the webhook id

  Returns how many lines were let go.
]]
--@include fifo

local B, webhook = ARGV[1], ARGV[2]
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do
  local line = flat[i]
  redis.call('HDEL', KEYS[1], line)
  fifo_remove(B, webhook, line, cjson.decode(flat[i + 1]).m)
  local head = fifo_note_head(B, webhook, line)
  if head then
    fifo_wait(B, webhook, line, head)
  end
end
return #flat / 2
