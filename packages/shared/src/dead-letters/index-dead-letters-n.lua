--[[
  Adds dead letters to their webhook's and tenant's indexes, at their current time in the index
  of all dead letters; one removed meanwhile (no document, or not in that index) is left out.

  KEYS[1] dead letters hash
  KEYS[2] dead letters by-time sorted set
  then per dead letter i (from 0), at 3 + 2i: its webhook's and its tenant's dead-letter indexes
  ARGV    the dead letter ids, in the same order

  Returns the number indexed.
]]
local indexed = 0
for i, id in ipairs(ARGV) do
  local score = redis.call('ZSCORE', KEYS[2], id)
  if score and redis.call('HEXISTS', KEYS[1], id) == 1 then
    local k = 3 + 2 * (i - 1)
    redis.call('ZADD', KEYS[k], score, id)
    redis.call('ZADD', KEYS[k + 1], score, id)
    indexed = indexed + 1
  end
end
return indexed
