--[[
  Every write of a webhook document goes through here, so that each one bumps the webhooks'
  version, records which webhook changed at that version, and keeps its route and its tenant's
  digest in step (webhook-routes.lua): workers then read only what changed (webhook-changes-4.lua)
  and hold routes, not documents.

  KEYS[1] webhooks hash (id → JSON)
  KEYS[2] webhooks version counter
  KEYS[3] changes: sorted set of webhook ids by the version of their latest change
  KEYS[4] the highest version trimmed from the changes (a reader behind it reloads everything)
  KEYS[5] the routes of the webhook's tenant (hash)
  KEYS[6] the tenants' route digests (hash)
  ARGV[1] webhook id
  ARGV[2] 'create', 'replace' or 'delete'
  ARGV[3] replace: the JSON the caller read (compare-and-set, so that concurrent updates, an
          operator's PATCH and a worker disabling on 410, never overwrite each other)
  ARGV[4] create, replace: the new JSON
  ARGV[5] changes kept
  ARGV[6] the webhook's tenant (a webhook never changes tenant)

  Returns 1 when written (or deleted), 0 when the document changed meanwhile (replace), -1 when it
  does not exist (replace, delete).
]]
--@include webhook-routes

local id, mode, tenant = ARGV[1], ARGV[2], ARGV[6]
if mode == 'replace' then
  local current = redis.call('HGET', KEYS[1], id)
  if not current then
    return -1
  end
  if current ~= ARGV[3] then
    return 0
  end
  redis.call('HSET', KEYS[1], id, ARGV[4])
elseif mode == 'create' then
  redis.call('HSET', KEYS[1], id, ARGV[4])
elseif mode == 'delete' then
  if redis.call('HDEL', KEYS[1], id) == 0 then
    return -1
  end
else
  return redis.error_reply('unknown webhook write ' .. tostring(mode))
end

-- A version bumped without a recorded change (a writer older than the changes log) cannot be
-- told apart: readers from before it must reload everything, as if it had been trimmed.
local before = tonumber(redis.call('GET', KEYS[2]) or '0')
local newest = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
local newest_recorded = tonumber(newest[2] or '0')
if before ~= newest_recorded and before > tonumber(redis.call('GET', KEYS[4]) or '0') then
  redis.call('SET', KEYS[4], before)
end
local version = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[3], version, id)
local excess = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[5])
if excess > 0 then
  local last = redis.call('ZRANGE', KEYS[3], excess - 1, excess - 1, 'WITHSCORES')
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, excess - 1)
  redis.call('SET', KEYS[4], last[2])
end

local route = nil
if mode ~= 'delete' then
  local _
  _, route = webhook_route(ARGV[4], version)
end
route_set(KEYS[5], KEYS[6], tenant, id, route)
return 1
