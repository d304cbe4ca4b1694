--[[
  Parks one delivery that was waiting as a job (its circuit is open): the job then ends, and the
  delivery waits in the webhook's parking, its payload referred to.

  KEYS[1] the webhook's parked deliveries (stream)
  KEYS[2] the set of webhooks with parked deliveries
  KEYS[3] the event's payload
  ARGV[1] webhook id
  ARGV[2] event id
  ARGV[3] attempts made before
  ARGV[4] replay number
  ARGV[5] the most parked deliveries the webhook may have (maxBacklog)
  ARGV[6] the event's JSON (stored as its payload if it is not yet)

  Returns 1 when parked, 0 when the webhook's backlog is full (nothing written).
]]
--@include parking
--@include payloads

if park(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]) == 0 then
  return 0
end
payload_retain(KEYS[3], ARGV[6], ARGV[1])
return 1
