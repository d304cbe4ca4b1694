--[[
  Takes references to payloads for deliveries about to wait as jobs (before the jobs are added, so
  that a job never finds its payload missing).

  KEYS    each delivery's payload key
  ARGV    per delivery, in the same order: the event's JSON, the webhook id

  Returns the number of references taken.
]]
--@include payloads

for i, key in ipairs(KEYS) do
  payload_retain(key, ARGV[2 * i - 1], ARGV[2 * i])
end
return #KEYS
