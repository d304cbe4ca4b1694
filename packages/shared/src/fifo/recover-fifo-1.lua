--[[
  Looks over the partition's FIFO webhooks: a head in the queue whose job is gone or long finished
  without its line moving on (its worker died between the two) is sent out again; a webhook whose
  lines are all gone is forgotten. Also returns each webhook's figures for the gauges.

  KEYS[1]  the partition's set of FIFO webhooks
  ARGV[1]  the FIFO prefix (RedisKeys.fifo)
  ARGV[2]  unused (the time is Redis's own)
  ARGV[3]  how long a head must have been out before it is looked at, in ms
  ARGV[4]  the prefix of the delivery queue's job keys (`<bull prefix>:deliveries:`)

  Returns { { webhook, line, head, n, … } sent out again, { webhook, deliveries in lines, lines,
  oldest head ms or -1, blocked lines, … } }.
]]
--@include fifo

local B = ARGV[1]
local now_ms = fifo_now_ms()
local stale_ms = tonumber(ARGV[3])
local jobs = ARGV[4]
local out = {}
local figures = {}
local W = fifo_watermark(B)
for _, webhook in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local busy = B .. ':' .. webhook .. ':busy'
  local flat = redis.call('HGETALL', busy)
  for i = 1, #flat, 2 do
    local line, state = flat[i], cjson.decode(flat[i + 1])
    if now_ms - state.t >= stale_ms then
      local event_id = string.match(state.m, '^[^|]+|(.*)|%d+$')
      -- The job id fifoJobId (fifo-lines.ts) gives it: `<eventId>.<webhookId>.f<n>`.
      local job = jobs .. event_id .. '.' .. webhook .. '.f' .. state.n
      local finished = redis.call('HGET', job, 'finishedOn')
      local gone = redis.call('EXISTS', job) == 0
      if gone or (finished and now_ms - tonumber(finished) >= stale_ms) then
        redis.call('HDEL', busy, line)
        local head = fifo_try(B, webhook, line, W, now_ms)
        if head then
          table.insert(out, head)
        end
      end
    end
  end
  local count = tonumber(redis.call('GET', B .. ':' .. webhook .. ':count') or '0')
  local lines = redis.call('ZCARD', B .. ':' .. webhook .. ':heads')
  local blocked = redis.call('HLEN', B .. ':' .. webhook .. ':blocked')
  if count <= 0 and lines == 0 and blocked == 0 and redis.call('HLEN', busy) == 0 then
    redis.call('SREM', KEYS[1], webhook)
    redis.call('DEL', B .. ':' .. webhook .. ':count')
  else
    local oldest = redis.call('ZRANGE', B .. ':' .. webhook .. ':heads', 0, 0, 'WITHSCORES')[2] or -1
    table.insert(figures, { webhook, count, lines, oldest, blocked })
  end
end

return { fifo_flatten(out), fifo_flatten(figures) }
