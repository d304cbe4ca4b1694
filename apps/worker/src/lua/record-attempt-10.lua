--[[
  Records one delivery attempt in one command: the webhook's attempt log and counters, the event's
  attempt log, the global counters, (when given) a dead letter to park or one to clear, and (when
  given) the attempt's effect on the webhook's circuit breaker and failure streak.

  KEYS[1] the webhook's attempt log (list, newest first)
  KEYS[2] the webhook's counters (hash)
  KEYS[3] global delivery counters (hash)
  KEYS[4] the event's attempt log (list, newest first)
  KEYS[5] dead letters (hash)
  KEYS[6] dead letters by time (sorted set)
  KEYS[7] the webhook's circuit (hash: state, failures, openUntil, probe, probeUntil, firstFailureAt)
  KEYS[8] set of webhook ids whose circuit is open or half-open (for the herald_circuits_open gauge)
  KEYS[9] the webhook's dead letters by time (sorted set)
  KEYS[10] the tenant's dead letters by time (sorted set)
  ARGV[1] the attempt JSON
  ARGV[2] its outcome (success, retry, dead_letter, skipped)
  ARGV[3] its duration in whole ms
  ARGV[4] attempts kept per webhook
  ARGV[5] attempts kept per event
  ARGV[6] seconds the event's attempt log is kept (0: no event attempt log)
  ARGV[7] dead letter id to park ('' for none)
  ARGV[8] dead letter JSON
  ARGV[9] dead letter time (unix ms, the sorted set score)
  ARGV[10] dead letter id to clear ('' for none)
  ARGV[11] for the circuit: 'success' (the endpoint answered), 'failure' (timeout, network error,
           408/425/429/5xx), 'neutral' (the delivery never reached the endpoint: a half-open
           probe gives its turn back), or '' (no circuit to record)
  ARGV[12] consecutive failures that open the circuit
  ARGV[13] cool-down in ms before a probe may go through
  ARGV[14] after failing continuously this long (ms) the webhook should be disabled
  ARGV[15] the webhook id
  ARGV[16] 1 when the breaker is enabled (it may open), 0 to track the failure streak only
  ARGV[17] the delivery's job id (the probe's identity when half-open)

  Returns { transition, disable }: transition 'opened', 'closed' or ''; disable 1 when the
  webhook has failed continuously for ARGV[14] ms, else 0.
]]
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[4]) - 1)
redis.call('HINCRBY', KEYS[2], 'total', 1)
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('HINCRBY', KEYS[2], 'durationMsTotal', ARGV[3])
redis.call('HINCRBY', KEYS[3], 'total', 1)
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
if ARGV[6] ~= '0' then
  redis.call('LPUSH', KEYS[4], ARGV[1])
  redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[5]) - 1)
  redis.call('EXPIRE', KEYS[4], ARGV[6])
end
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[5], ARGV[7], ARGV[8])
  redis.call('ZADD', KEYS[6], ARGV[9], ARGV[7])
  redis.call('ZADD', KEYS[9], ARGV[9], ARGV[7])
  redis.call('ZADD', KEYS[10], ARGV[9], ARGV[7])
end
-- The dead letter cleared is this delivery's own: same webhook, same tenant.
if ARGV[10] ~= '' then
  redis.call('HDEL', KEYS[5], ARGV[10])
  redis.call('ZREM', KEYS[6], ARGV[10])
  redis.call('ZREM', KEYS[9], ARGV[10])
  redis.call('ZREM', KEYS[10], ARGV[10])
end

local function record_circuit()
  if ARGV[11] == 'neutral' then
    if redis.call('HGET', KEYS[7], 'probe') == ARGV[17] then
      redis.call('HDEL', KEYS[7], 'probe', 'probeUntil')
    end
    return { '', 0 }
  end
  if ARGV[11] == 'success' then
    -- The common case: a healthy webhook's circuit has no hash at all.
    if redis.call('EXISTS', KEYS[7]) == 0 then
      return { '', 0 }
    end
    local state = redis.call('HGET', KEYS[7], 'state') or 'closed'
    redis.call('DEL', KEYS[7])
    redis.call('SREM', KEYS[8], ARGV[15])
    if state ~= 'closed' then
      return { 'closed', 0 }
    end
    return { '', 0 }
  end

  local now_parts = redis.call('TIME')
  local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
  local state = redis.call('HGET', KEYS[7], 'state') or 'closed'
  local failures = redis.call('HINCRBY', KEYS[7], 'failures', 1)
  local first = tonumber(redis.call('HGET', KEYS[7], 'firstFailureAt'))
  if not first then
    first = now
    redis.call('HSET', KEYS[7], 'firstFailureAt', now)
  end
  local transition = ''
  if ARGV[16] == '1' and (state == 'half_open' or (state == 'closed' and failures >= tonumber(ARGV[12]))) then
    redis.call('HSET', KEYS[7], 'state', 'open', 'openUntil', now + tonumber(ARGV[13]))
    redis.call('HDEL', KEYS[7], 'probe', 'probeUntil')
    redis.call('SADD', KEYS[8], ARGV[15])
    transition = 'opened'
  end
  -- Forgotten after a long quiet spell, so failures days apart never add up to "continuous".
  redis.call('PEXPIRE', KEYS[7], tonumber(ARGV[14]) + tonumber(ARGV[13]) + 86400000)
  local disable = 0
  if now - first >= tonumber(ARGV[14]) then
    disable = 1
  end
  return { transition, disable }
end

if ARGV[11] == '' then
  return { '', 0 }
end
-- The attempt is recorded above whatever happens here: the circuit update is best effort.
local ok, change = pcall(record_circuit)
if ok then
  return change
end
return { '', 0 }
