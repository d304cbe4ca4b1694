--[[
  Takes a reference to a payload for each delivery about to wait as a job (before the jobs are
  added, so that a job never finds its payload missing).

  KEYS    each delivery's payload key
  ARGV    per delivery, in the same order: the event's JSON

  Returns the number of references taken.
]]
--@include payloads

for i, key in ipairs(KEYS) do
  payload_retain(key, ARGV[i])
end
return #KEYS
