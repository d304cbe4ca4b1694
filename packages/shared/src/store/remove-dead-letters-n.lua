--[[
  Purges dead letters: from the hash and every index, with their references to their events'
  payloads (a payload goes with its last reference).

  KEYS[1] dead letters hash
  KEYS[2] dead letters by-time sorted set
  then per dead letter i (from 0), at 3 + 3i: its webhook's and its tenant's dead-letter indexes,
  and its event's payload
  ARGV    pairs of: dead letter id, its webhook id

  Returns the number removed.
]]
--@include dead-letters
--@include payloads

local removed = 0
for i = 1, #ARGV, 2 do
  local k = 3 + 3 * (i - 1) / 2
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    dead_letter_remove(KEYS[1], KEYS[2], KEYS[k], KEYS[k + 1], ARGV[i])
    removed = removed + 1
  end
  payload_release(KEYS[k + 2], ARGV[i + 1])
end
return removed
