--[[
  Takes released deliveries out of a webhook's parking (their jobs exist now); the webhook leaves
  the set of those with parked deliveries once it has none.

  KEYS[1] the webhook's parked deliveries (stream)
  KEYS[2] the set of webhooks with parked deliveries
  ARGV[1] webhook id
  ARGV[2..] the entry ids released

  Returns the number of parked deliveries left.
]]
redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
local left = redis.call('XLEN', KEYS[1])
if left == 0 then
  redis.call('SREM', KEYS[2], ARGV[1])
  redis.call('DEL', KEYS[1])
end
return left
