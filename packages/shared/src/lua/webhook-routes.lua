--[[
  Webhook routes, included by the scripts that write webhooks and read their changes;
  store/webhook-routes.ts reads the same on the TypeScript side. A route is what fan-out needs of a
  webhook — enabled, its event patterns, and the version of its latest change — kept per tenant,
  with a digest per tenant (the count of its routes and the XOR of a 32-bit hash of each) that
  workers compare with their own to find out that they missed something.
]]

-- The tenant and the route of a webhook document at `version`; nil for a document that is not JSON.
local function webhook_route(json, version)
  local ok, doc = pcall(cjson.decode, json)
  if not ok or type(doc) ~= 'table' or type(doc.tenant) ~= 'string' then
    return nil, nil
  end
  return doc.tenant, cjson.encode({ e = doc.enabled == true, p = doc.events, r = tonumber(version) })
end

-- A route's share of its tenant's digest: the first 32 bits of the SHA-1 of '<id> <route>', as a
-- signed integer.
local function route_hash(id, value)
  return bit.tobit(tonumber(string.sub(redis.sha1hex(id .. ' ' .. value), 1, 8), 16))
end

-- Adds (sign 1) or takes out (sign -1) one route of the tenant's digest.
local function tenant_digest_change(tenants_key, tenant, id, value, sign)
  local count, x = 0, 0
  local current = redis.call('HGET', tenants_key, tenant)
  if current then
    local c, d = string.match(current, '^(%-?%d+):(%-?%d+)$')
    count, x = tonumber(c), tonumber(d)
  end
  count = count + sign
  x = bit.bxor(x, route_hash(id, value))
  if count <= 0 then
    redis.call('HDEL', tenants_key, tenant)
  else
    redis.call('HSET', tenants_key, tenant, count .. ':' .. x)
  end
end

-- Stores the route (nil: removes it), keeping the tenant's digest in step.
local function route_set(routes_key, tenants_key, tenant, id, value)
  local before = redis.call('HGET', routes_key, id)
  if before == value then
    return
  end
  if before then
    tenant_digest_change(tenants_key, tenant, id, before, -1)
  end
  if value then
    redis.call('HSET', routes_key, id, value)
    tenant_digest_change(tenants_key, tenant, id, value, 1)
  else
    redis.call('HDEL', routes_key, id)
  end
end
