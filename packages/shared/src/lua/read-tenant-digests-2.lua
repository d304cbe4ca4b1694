--[[
  The tenants' route digests and the webhooks' version they are at, read atomically.

  KEYS[1] webhooks version counter
  KEYS[2] the tenants' route digests (hash)

  Returns { version, { tenant1, digest1, tenant2, digest2, … } }.
]]
return { redis.call('GET', KEYS[1]) or '0', redis.call('HGETALL', KEYS[2]) }
