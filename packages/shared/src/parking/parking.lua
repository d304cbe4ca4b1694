--[[
  Parking: a webhook's deliveries that wait while its circuit is open, in a stream of its own (one
  small entry each: the event's id, the attempts made before, the replay number), oldest first; the
  set of webhooks with any. The payload is stored apart, once per event (payloads.lua).
  parking/parking-lot.ts owns the same keys on the TypeScript side.
]]

-- Parks one delivery, unless the webhook already has max_backlog parked: then returns 0 (the
-- caller dead-letters it instead), else 1.
local function park(parked_key, parked_set, webhook_id, event_id, attempts_before, replay, max_backlog)
  if redis.call('XLEN', parked_key) >= tonumber(max_backlog) then
    return 0
  end
  redis.call('XADD', parked_key, '*', 'e', event_id, 'a', attempts_before, 'r', replay)
  redis.call('SADD', parked_set, webhook_id)
  return 1
end
