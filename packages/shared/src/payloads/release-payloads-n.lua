--[[
  Gives back a reference to a payload for each delivery done (delivered or skipped); each payload
  goes with its last reference.

  KEYS    each delivery's payload key

  Returns the number of references given back.
]]
--@include payloads

for _, key in ipairs(KEYS) do
  payload_release(key)
end
return #KEYS
