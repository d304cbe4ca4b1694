--[[
  Ordered delivery (FIFO) lines, in one partition. B is the partition's FIFO prefix (RedisKeys.fifo);
  the names below are those keys.ts spells.

  A line is a sorted set of its deliveries, all of score 0, ordered by member:
  `<order key>|<event id>|<replay>`, the order key being the event's stream entry id padded to 26
  characters (`%015d-%010d`), so that members sort as entries do. The first member is the head. A
  head goes out (becomes a job, `busy`) only when no entry before it is still being planned by a
  fan-out (the first member of `planning` is the watermark): a batch read later but planned sooner
  cannot put its deliveries ahead of an earlier batch's. Each member holds a reference to its
  event's payload, except a blocked head, whose dead letter holds it.
]]

local FIFO_KEY_LENGTH = 26

local function fifo_pad(digits, width)
  return string.rep('0', width - #digits) .. digits
end

-- The order key of a stream entry id.
local function fifo_order_key(entry_id)
  local ms, seq = string.match(entry_id, '^(%d+)%-(%d+)$')
  return fifo_pad(ms, 15) .. '-' .. fifo_pad(seq, 10)
end

local function fifo_line_key(B, webhook, line)
  return B .. ':' .. webhook .. ':line:' .. line
end

-- The first entry still being planned, or false.
local function fifo_watermark(B)
  return redis.call('ZRANGE', B .. ':planning', 0, 0)[1] or false
end

-- Keeps the line's head time (for the head age), or forgets the line once empty; returns the head.
local function fifo_note_head(B, webhook, line)
  local head = redis.call('ZRANGE', fifo_line_key(B, webhook, line), 0, 0)[1]
  if head then
    redis.call('ZADD', B .. ':' .. webhook .. ':heads', tonumber(string.sub(head, 1, 15)), line)
  else
    redis.call('ZREM', B .. ':' .. webhook .. ':heads', line)
  end
  return head
end

-- Adds a delivery to its line; true when it was not there yet.
local function fifo_add(B, webhook, line, member)
  if redis.call('ZADD', fifo_line_key(B, webhook, line), 'NX', 0, member) == 0 then
    return false
  end
  redis.call('INCR', B .. ':' .. webhook .. ':count')
  redis.call('SADD', B .. ':webhooks', webhook)
  return true
end

-- Removes a delivery from its line; true when it was there.
local function fifo_remove(B, webhook, line, member)
  if redis.call('ZREM', fifo_line_key(B, webhook, line), member) == 0 then
    return false
  end
  redis.call('DECR', B .. ':' .. webhook .. ':count')
  return true
end

-- The line waits for the pump (its head behind the watermark, or just changed by an operator).
local function fifo_wait(B, webhook, line, head)
  redis.call('ZADD', B .. ':waiting', 0, string.sub(head, 1, FIFO_KEY_LENGTH) .. '|' .. webhook .. '|' .. line)
end

--[[
  Sends the line's head out when it may go: the line neither busy nor blocked, and its head before
  the watermark W (false: nothing is being planned). Returns { webhook, line, head, n } for the
  caller to make its job (n numbers the webhook's dispatches: the job id), or nil.
]]
local function fifo_try(B, webhook, line, W, now_ms)
  if redis.call('HEXISTS', B .. ':' .. webhook .. ':busy', line) == 1 then
    return nil
  end
  if redis.call('HEXISTS', B .. ':' .. webhook .. ':blocked', line) == 1 then
    return nil
  end
  local head = fifo_note_head(B, webhook, line)
  if not head then
    return nil
  end
  if W and string.sub(head, 1, FIFO_KEY_LENGTH) >= W then
    fifo_wait(B, webhook, line, head)
    return nil
  end
  local n = redis.call('INCR', B .. ':' .. webhook .. ':seq')
  redis.call('HSET', B .. ':' .. webhook .. ':busy', line, cjson.encode({ m = head, n = n, t = now_ms }))
  return { webhook, line, head, n }
end

-- Sends out the heads of waiting lines that may go now (up to `limit`), into `out`.
local function fifo_pump(B, now_ms, limit, out)
  local W = fifo_watermark(B)
  local waiting = redis.call('ZRANGEBYLEX', B .. ':waiting', '-', W and ('(' .. W) or '+', 'LIMIT', 0, limit)
  for _, item in ipairs(waiting) do
    redis.call('ZREM', B .. ':waiting', item)
    local webhook, line = string.match(string.sub(item, FIFO_KEY_LENGTH + 2), '^([^|]+)|(.*)$')
    local head = fifo_try(B, webhook, line, W, now_ms)
    if head then
      table.insert(out, head)
    end
  end
  return #waiting
end

-- Now in ms, by Redis's clock (one clock for every worker's dispatch times).
local function fifo_now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

-- The line's head is done (delivered, skipped or dead-lettered under skip): the next one may go.
-- Only when `member` is the head in the queue as the n-th sending (a job made for an earlier
-- sending of it, which recovery replaced, changes nothing).
local function fifo_settle(B, webhook, line, member, n, action, info, out)
  local busy = B .. ':' .. webhook .. ':busy'
  local current = redis.call('HGET', busy, line)
  if not current then
    return
  end
  local state = cjson.decode(current)
  if state.m ~= member or tonumber(state.n) ~= tonumber(n) then
    return
  end
  local now_ms = fifo_now_ms()
  redis.call('HDEL', busy, line)
  if action == 'block' then
    redis.call('HSET', B .. ':' .. webhook .. ':blocked', line, info)
    return
  end
  fifo_remove(B, webhook, line, member)
  local head = fifo_try(B, webhook, line, fifo_watermark(B), now_ms)
  if head then
    table.insert(out, head)
  end
end

-- The heads sent out, as one flat list for the reply: { webhook, line, head, n, … }.
local function fifo_flatten(heads)
  local flat = {}
  for _, head in ipairs(heads) do
    for _, value in ipairs(head) do
      table.insert(flat, value)
    end
  end
  return flat
end

