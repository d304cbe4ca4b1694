--[[
  What changed among the webhooks since a version the caller has: the webhooks changed after it
  (their JSON, or false for one deleted), read atomically with the current version.

  KEYS[1] webhooks version counter
  KEYS[2] changes: sorted set of webhook ids by the version of their latest change
  KEYS[3] the highest version trimmed from the changes
  KEYS[4] webhooks hash (id → JSON)
  ARGV[1] the version the caller has
  ARGV[2] the most changes worth returning; beyond it the caller had better reload everything

  Returns { version, 'delta', id1, json1 or false, id2, … }, or { version, 'full' } when the
  changes cannot tell: the caller is behind what was trimmed, ahead of the counter (Redis lost
  data), too far behind, or the counter moved without a recorded change.
]]
local version = tonumber(redis.call('GET', KEYS[1]) or '0')
local since = tonumber(ARGV[1])
local trimmed = tonumber(redis.call('GET', KEYS[3]) or '0')
local full = { version, 'full' }
if since > version or since < trimmed then
  return full
end
if since == version then
  return { version, 'delta' }
end
local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if #newest == 0 or tonumber(newest[2]) ~= version then
  return full
end
local max = tonumber(ARGV[2])
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf', 'LIMIT', 0, max + 1)
if #ids > max then
  return full
end
local reply = { version, 'delta' }
for _, id in ipairs(ids) do
  reply[#reply + 1] = id
  reply[#reply + 1] = redis.call('HGET', KEYS[4], id)
end
return reply
