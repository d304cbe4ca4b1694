--[[
  Event payloads, stored once per event for every delivery of it that waits: a hash with the
  event's JSON in field `e` and one field per webhook whose delivery refers to it (a retry job, a
  parked delivery, a dead letter). A delivery refers to it from when it first has to wait until it
  is delivered, skipped, or its dead letter purged; references are fields, so taking or dropping
  one twice changes nothing. payloads/payload-store.ts owns the same keys on the TypeScript side.
]]

-- The delivery of the event to `webhook_id` refers to the payload (stored now if it is not yet).
local function payload_retain(key, json, webhook_id)
  redis.call('HSETNX', key, 'e', json)
  redis.call('HSET', key, webhook_id, '1')
end

-- The delivery no longer refers to it; the payload goes with its last reference.
local function payload_release(key, webhook_id)
  if redis.call('HDEL', key, webhook_id) == 1 and redis.call('HLEN', key) <= 1 then
    redis.call('DEL', key)
  end
end
