--[[
  Drops references to payloads (a dead letter purged, a delivery done); each payload goes with its
  last reference.

  KEYS    each delivery's payload key
  ARGV    per delivery, in the same order: the webhook id

  Returns the number of references dropped.
]]
--@include payloads

for i, key in ipairs(KEYS) do
  payload_release(key, ARGV[i])
end
return #KEYS
