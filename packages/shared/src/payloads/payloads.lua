--[[
  Event payloads, stored once per event for every delivery of it that waits: a string, 8 hex digits
  counting the waiting deliveries that refer to it, then the event's JSON (one allocation: a
  waiting delivery costs its payload's share and nothing per reference). A delivery takes a
  reference when it starts to wait (a job made for it, parked, dead-lettered); it passes it on as it
  moves between those (no change); it gives it back when it is done (delivered, skipped, its dead
  letter purged), and the payload goes with the last. payloads/payload-store.ts reads the same.
]]

-- One more delivery refers to the payload (stored now if it is not yet).
local function payload_retain(key, json)
  local count = redis.call('GETRANGE', key, 0, 7)
  if count == '' then
    redis.call('SET', key, '00000001' .. json)
  else
    redis.call('SETRANGE', key, 0, string.format('%08x', tonumber(count, 16) + 1))
  end
end

-- One delivery less refers to it; the payload goes with the last.
local function payload_release(key)
  local count = redis.call('GETRANGE', key, 0, 7)
  if count == '' then
    return
  end
  local left = tonumber(count, 16) - 1
  if left <= 0 then
    redis.call('DEL', key)
  else
    redis.call('SETRANGE', key, 0, string.format('%08x', left))
  end
end
