--[[
  Dead letters, included by the scripts that park and remove them; dead-letters/dead-letter-store.ts owns
  the same keys on the TypeScript side. A hash of dead letter JSON by id (the delivery id), and the
  time it was parked as the score in three sorted sets: all dead letters, the webhook's and the
  tenant's.
]]

local function dead_letter_park(hash, by_time, by_webhook, by_tenant, id, json, score)
  redis.call('HSET', hash, id, json)
  redis.call('ZADD', by_time, score, id)
  redis.call('ZADD', by_webhook, score, id)
  redis.call('ZADD', by_tenant, score, id)
end

local function dead_letter_remove(hash, by_time, by_webhook, by_tenant, id)
  redis.call('HDEL', hash, id)
  redis.call('ZREM', by_time, id)
  redis.call('ZREM', by_webhook, id)
  redis.call('ZREM', by_tenant, id)
end
