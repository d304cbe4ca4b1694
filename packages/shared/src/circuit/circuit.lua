--[[
  A webhook's circuit breaker, shared by all workers: included by the scripts that admit and that
  record deliveries. circuit/circuit-breaker.ts owns the same hash and set on the TypeScript side.

  The circuit hash (absent = closed, no failures):
    state           closed | open | half_open
    failures        the current streak of failed attempts (timeouts, network errors, 408/425/429/5xx)
    firstFailureAt  when that streak began (unix ms); a streak this old disables the webhook
    openedAt        when the circuit last opened (unix ms)
    openUntil       when a probe may go through (unix ms)
    probe           the delivery that probes while half-open, and probeUntil, until when it may
  The open set holds the ids of webhooks whose circuit is open or half-open: the gauge
  herald_circuits_open counts it, and workers send nothing straight from the stream to them.
]]

local function circuit_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Whether a delivery may go out now, without writing anything (a delivery that must wait for
-- another reason must not become the probe). Returns 'go', 'wait' (with the wait in ms),
-- 'open_probe' (the cool-down is over: this delivery would make the circuit half-open and probe)
-- or 'renew_probe' (this delivery is the probe, going again).
local function circuit_check(key, now, token)
  local c = redis.call('HMGET', key, 'state', 'openUntil', 'probe', 'probeUntil')
  local state = c[1] or 'closed'
  if state == 'open' then
    local open_until = tonumber(c[2]) or 0
    if now < open_until then
      return 'wait', open_until - now
    end
    return 'open_probe', 0
  elseif state == 'half_open' then
    local probe_until = tonumber(c[4]) or 0
    if c[3] ~= token and now < probe_until then
      return 'wait', math.max(500, math.min(probe_until - now, 5000))
    end
    return 'renew_probe', 0
  end
  return 'go', 0
end

-- Makes `token` the probe for lease_ms (after circuit_check said open_probe or renew_probe).
local function circuit_take_probe(key, token, now, lease_ms)
  redis.call('HSET', key, 'state', 'half_open', 'probe', token, 'probeUntil', now + lease_ms)
end

-- Records what one attempt said about the endpoint. effect: 'success' (it answered), 'failure'
-- (it did not, or said 408/425/429/5xx), 'neutral' (the attempt never reached it). started: when
-- the attempt began (unix ms). s: { enabled = bool, threshold, cooldown_ms, disable_after_ms }.
-- Only the probe, or an attempt that began after the opening, may close an open circuit or
-- re-open a half-open one: the answer of an attempt already in flight when it opened says nothing
-- the opening did not know. Returns transition ('opened', 'closed' or '') and disable (1 when the
-- streak is older than disable_after_ms).
local function circuit_record(key, open_set, webhook_id, effect, token, started, now, s)
  if effect == 'neutral' then
    if redis.call('HGET', key, 'probe') == token then
      redis.call('HDEL', key, 'probe', 'probeUntil')
    end
    return '', 0
  end
  local c = redis.call('HMGET', key, 'state', 'openedAt', 'probe')
  local state = c[1] or 'closed'
  local fresh = c[3] == token or started >= (tonumber(c[2]) or 0)
  if effect == 'success' then
    if state == 'closed' then
      redis.call('DEL', key)
      return '', 0
    end
    if fresh then
      redis.call('DEL', key)
      redis.call('SREM', open_set, webhook_id)
      return 'closed', 0
    end
    return '', 0
  end

  local failures = redis.call('HINCRBY', key, 'failures', 1)
  local first = tonumber(redis.call('HGET', key, 'firstFailureAt'))
  if not first then
    first = now
    redis.call('HSET', key, 'firstFailureAt', now)
  end
  local transition = ''
  if s.enabled and ((state == 'half_open' and fresh) or (state == 'closed' and failures >= s.threshold)) then
    redis.call('HSET', key, 'state', 'open', 'openedAt', now, 'openUntil', now + s.cooldown_ms)
    redis.call('HDEL', key, 'probe', 'probeUntil')
    redis.call('SADD', open_set, webhook_id)
    transition = 'opened'
  end
  -- Forgotten after a long quiet spell, so failures days apart never add up to "continuous".
  redis.call('PEXPIRE', key, s.disable_after_ms + s.cooldown_ms + 86400000)
  local disable = 0
  if now - first >= s.disable_after_ms then
    disable = 1
  end
  return transition, disable
end
