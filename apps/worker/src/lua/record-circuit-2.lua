--[[
  Records one attempt's effect on a webhook's circuit breaker and on its failure streak (which
  disables a webhook failing continuously, with the breaker on or off).

  KEYS[1] circuit hash
  KEYS[2] set of webhook ids whose circuit is open or half-open (for the herald_circuits_open gauge)
  ARGV[1] 'success' (the endpoint answered) or 'failure' (timeout, network error, 408/425/429/5xx)
  ARGV[2] consecutive failures that open the circuit
  ARGV[3] cool-down in ms before a probe may go through
  ARGV[4] after failing continuously this long (ms) the webhook should be disabled
  ARGV[5] the webhook id
  ARGV[6] 1 when the breaker is enabled (it may open), 0 to track the failure streak only

  Returns { transition, disable }: transition 'opened', 'closed' or ''; disable 1 when the
  webhook has failed continuously for ARGV[4] ms, else 0.
]]
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'

if ARGV[1] == 'success' then
  if state == 'closed' and not redis.call('HGET', KEYS[1], 'failures') then
    return { '', 0 }
  end
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[5])
  if state ~= 'closed' then
    return { 'closed', 0 }
  end
  return { '', 0 }
end

local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local first = tonumber(redis.call('HGET', KEYS[1], 'firstFailureAt'))
if not first then
  first = now
  redis.call('HSET', KEYS[1], 'firstFailureAt', now)
end
local transition = ''
if ARGV[6] == '1' and (state == 'half_open' or (state == 'closed' and failures >= tonumber(ARGV[2]))) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'openUntil', now + tonumber(ARGV[3]))
  redis.call('HDEL', KEYS[1], 'probe', 'probeUntil')
  redis.call('SADD', KEYS[2], ARGV[5])
  transition = 'opened'
end
-- Forgotten after a long quiet spell, so failures days apart never add up to "continuous".
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]) + tonumber(ARGV[3]) + 86400000)
local disable = 0
if now - first >= tonumber(ARGV[4]) then
  disable = 1
end
return { transition, disable }
