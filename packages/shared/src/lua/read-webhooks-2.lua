--[[
  Every webhook and the version they are at, read atomically. A script rather than MULTI: Redis at
  maxmemory refuses every command queued in MULTI, reads too, but runs a script that only reads.

  KEYS[1] webhooks version counter
  KEYS[2] webhooks hash (id → JSON)

  Returns { version, { id1, json1, id2, json2, … } }.
]]
return { redis.call('GET', KEYS[1]) or '0', redis.call('HGETALL', KEYS[2]) }
