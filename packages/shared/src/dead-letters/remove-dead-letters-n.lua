--[[
  Purges dead letters: from the hash and every index, each giving back its reference to its event's
  payload (a payload goes with its last reference). A dead letter stored with its event inline, by
  an older Herald, holds no reference.

  KEYS[1] dead letters hash
  KEYS[2] dead letters by-time sorted set
  then per dead letter i (from 0), at 3 + 3i: its webhook's and its tenant's dead-letter indexes,
  and its event's payload
  ARGV    the dead letter ids

  Returns the number removed.
]]
--@include dead-letters
--@include payloads

local removed = 0
for i, id in ipairs(ARGV) do
  local k = 3 + 3 * (i - 1)
  local json = redis.call('HGET', KEYS[1], id)
  if json then
    dead_letter_remove(KEYS[1], KEYS[2], KEYS[k], KEYS[k + 1], id)
    removed = removed + 1
    local ok, doc = pcall(cjson.decode, json)
    if ok and type(doc) == 'table' and doc.payload == true then
      payload_release(KEYS[k + 2])
    end
  end
end
return removed
