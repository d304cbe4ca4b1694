--[[
  Makes the routes of the given webhooks agree with their documents, for webhooks written before
  routes existed or by a writer that does not keep them: a route is made where it is missing or
  says otherwise than the document (at the version of the webhook's latest recorded change, or the
  current one), and removed where the document is gone.

  KEYS[1] webhooks hash (id → JSON)
  KEYS[2] webhooks version counter
  KEYS[3] changes: sorted set of webhook ids by the version of their latest change
  KEYS[4] the tenants' route digests (hash)
  then per webhook i (from 0), at 5 + i: the routes of its tenant
  ARGV    per webhook: its id, then its tenant

  Returns the number of routes written.
]]
--@include webhook-routes

local current = redis.call('GET', KEYS[2]) or '0'
local written = 0
for i = 1, #ARGV, 2 do
  local id, tenant = ARGV[i], ARGV[i + 1]
  local routes_key = KEYS[5 + (i - 1) / 2]
  local json = redis.call('HGET', KEYS[1], id)
  local before = redis.call('HGET', routes_key, id)
  local route = nil
  if json then
    -- A route that says what the document says stays as it is, its version too.
    local ok, stored = pcall(cjson.decode, before or '')
    local version = (ok and type(stored) == 'table' and stored.r) or redis.call('ZSCORE', KEYS[3], id) or current
    local doc_tenant, made = webhook_route(json, version)
    if doc_tenant == tenant then
      route = made
    end
  end
  if before ~= (route or false) then
    route_set(routes_key, KEYS[4], tenant, id, route)
    written = written + 1
  end
end
return written
