--[[
  What changed among the webhooks since a version the caller has: the routes of the webhooks
  changed after it (or false for one deleted or unreadable), read atomically with the current
  version. Routes are made from the documents here (webhook-routes.lua), as the write made them.

  KEYS[1] webhooks version counter
  KEYS[2] changes: sorted set of webhook ids by the version of their latest change
  KEYS[3] the highest version trimmed from the changes
  KEYS[4] webhooks hash (id → JSON)
  ARGV[1] the version the caller has
  ARGV[2] the most changes worth returning; beyond it the caller had better reload everything

  Returns { version, 'delta', id1, tenant1 or false, route1 or false, id2, … }; or
  { version, 'full', 'many' } when more than ARGV[2] changed (every route is to be read); or
  { version, 'full', 'unknown' } when the changes cannot tell: the caller is behind what was
  trimmed, ahead of the counter (Redis lost data), or the counter moved without a recorded change
  (a writer that keeps no routes either: they are to be made again from the documents).
]]
--@include webhook-routes

local version = tonumber(redis.call('GET', KEYS[1]) or '0')
local since = tonumber(ARGV[1])
local trimmed = tonumber(redis.call('GET', KEYS[3]) or '0')
local full = { version, 'full', 'unknown' }
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
local changed = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf', 'LIMIT', 0, max + 1, 'WITHSCORES')
if #changed > 2 * max then
  return { version, 'full', 'many' }
end
local reply = { version, 'delta' }
for i = 1, #changed, 2 do
  local id = changed[i]
  local json = redis.call('HGET', KEYS[4], id)
  local tenant, route = false, false
  if json then
    tenant, route = webhook_route(json, changed[i + 1])
  end
  reply[#reply + 1] = id
  reply[#reply + 1] = tenant or false
  reply[#reply + 1] = route or false
end
return reply
