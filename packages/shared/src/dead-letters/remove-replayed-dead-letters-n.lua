--[[
  Removes dead letters that were replayed, but only those still at the replay count the caller
  saw: a replayed delivery that already failed again was re-parked with a higher count, and must
  stay.

  KEYS[1] dead letters hash
  KEYS[2] dead letters by-time sorted set
  then per dead letter i (from 0), at 3 + 2i: its webhook's and its tenant's dead-letter indexes
  ARGV    pairs of: dead letter id, replay count the caller replayed it from

  Returns the number removed.
]]
--@include dead-letters
local removed = 0
for i = 1, #ARGV, 2 do
  local id = ARGV[i]
  local json = redis.call('HGET', KEYS[1], id)
  if json then
    local ok, doc = pcall(cjson.decode, json)
    if ok and tostring(doc['replays'] or 0) == ARGV[i + 1] then
      local k = 3 + (i - 1)
      dead_letter_remove(KEYS[1], KEYS[2], KEYS[k], KEYS[k + 1], id)
      removed = removed + 1
    end
  end
end
return removed
