--[[
  Parks one delivery that was waiting as a job (its circuit is open): the job then ends, and the
  delivery waits in the webhook's parking. Its reference to its event's payload passes from the job
  to the parking; a job that carried its event itself stores the payload now.

  KEYS[1] the webhook's parked deliveries (stream)
  KEYS[2] the set of webhooks with parked deliveries
  KEYS[3] the event's payload
  ARGV[1] webhook id
  ARGV[2] event id
  ARGV[3] attempts made before
  ARGV[4] replay number
  ARGV[5] the most parked deliveries the webhook may have (maxBacklog)
  ARGV[6] the event's JSON
  ARGV[7] 1 when the job carried its event itself (a reference is taken now), else 0

  Returns 1 when parked, 0 when the webhook's backlog is full (nothing written).
]]
--@include parking
--@include payloads

if park(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]) == 0 then
  return 0
end
if ARGV[7] == '1' then
  payload_retain(KEYS[3], ARGV[6])
end
return 1
