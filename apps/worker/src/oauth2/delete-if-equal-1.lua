--[[
  Deletes a key only when it still holds the value the caller saw: a cached token another worker
  has already replaced stays, and a lock another worker took over is not released.
  KEYS[1] the key
  ARGV[1] the value seen
  Returns 1 when deleted, 0 otherwise.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
