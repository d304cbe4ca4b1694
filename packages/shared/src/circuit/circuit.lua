--[[
  A webhook's circuit breaker, shared by all workers: included by the scripts that admit and that
  record deliveries. circuit/circuit-breaker.ts owns the same hash and set on the TypeScript side.

  The circuit hash (absent = closed, nothing recorded lately):
    state           closed | open | half_open
    failures        the current streak of failed attempts (timeouts, network errors, 408/425/429/5xx)
    firstFailureAt  when that streak began (unix ms); a streak this old disables the webhook
    windowAt        when the current window bucket began (unix ms); calls, fails: its attempts and
                    failures; prevCalls, prevFails: the bucket before it (two buckets make the window)
    openedAt        when the circuit last opened (unix ms)
    openUntil       when a probe may go through (unix ms)
    probe           the delivery that probes while half-open, and probeUntil, until when it may
  The open set holds the ids of webhooks whose circuit is open or half-open: the gauge
  herald_circuits_open counts it, and workers send nothing straight from the stream to them.

  It opens after `threshold` failures in a row, provided that at least `ratio` of the attempts in
  the window failed as well: an endpoint failing at random now and then never opens it, one that
  has gone down does at once. Only the probe, or an attempt that began after the opening, closes it.
  The window counts attempts only while the hash exists (a webhook with no failure for a window
  has none, and its successes are not written): after a quiet spell the first failures count
  alone, and the streak decides, as it would without the window.
]]

--@include clock

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

-- The circuit as a table, to record several attempts in memory and write it back once.
local function circuit_load(key)
  local flat = redis.call('HGETALL', key)
  local c = {}
  for i = 1, #flat, 2 do
    c[flat[i]] = flat[i + 1]
  end
  local n = function(field)
    c[field] = tonumber(c[field]) or 0
  end
  for _, field in ipairs({ 'failures', 'firstFailureAt', 'windowAt', 'calls', 'fails', 'prevCalls', 'prevFails', 'openedAt' }) do
    n(field)
  end
  c.state = c.state or 'closed'
  c.loaded_state = c.state
  return c
end

-- Records what one attempt said about the endpoint, in `c` (circuit_load). effect: 'success' (it
-- answered), 'failure' (it did not, or said 408/425/429/5xx), 'neutral' (the attempt never reached
-- it). started: when the attempt began (unix ms). s: { enabled = bool, threshold, ratio,
-- window_ms, cooldown_ms, disable_after_ms }. Returns the transition ('opened', 'closed' or '').
local function circuit_apply(c, effect, token, started, now, s)
  if effect == 'neutral' then
    -- A probe that never reached the endpoint gives its turn back at once.
    if c.probe == token then
      c.probe = nil
      c.probeUntil = nil
    end
    return ''
  end
  -- The window: two buckets of half its length each.
  local bucket = s.window_ms / 2
  if now - c.windowAt >= 2 * bucket then
    c.windowAt, c.calls, c.fails, c.prevCalls, c.prevFails = now, 0, 0, 0, 0
  elseif now - c.windowAt >= bucket then
    c.windowAt, c.prevCalls, c.prevFails, c.calls, c.fails = now, c.calls, c.fails, 0, 0
  end
  c.calls = c.calls + 1
  local fresh = c.probe == token or started >= c.openedAt
  if effect == 'success' then
    c.failures = 0
    c.firstFailureAt = 0
    if c.state ~= 'closed' and fresh then
      c.state = 'closed'
      c.probe = nil
      c.probeUntil = nil
      c.openUntil = nil
      return 'closed'
    end
    return ''
  end
  c.fails = c.fails + 1
  c.failures = c.failures + 1
  if c.firstFailureAt == 0 then
    c.firstFailureAt = now
  end
  if not s.enabled then
    return ''
  end
  local ratio = (c.fails + c.prevFails) / (c.calls + c.prevCalls)
  if (c.state == 'half_open' and fresh) or (c.state == 'closed' and c.failures >= s.threshold and ratio >= s.ratio) then
    c.state = 'open'
    c.openedAt = now
    c.openUntil = now + s.cooldown_ms
    c.probe = nil
    c.probeUntil = nil
    return 'opened'
  end
  return ''
end

-- Writes `c` back, keeps the open set in step, and says whether the webhook has failed continuously
-- for longer than allowed (1) or not (0).
local function circuit_save(key, c, open_set, webhook_id, now, s)
  redis.call('DEL', key)
  local fields = {}
  for _, field in ipairs({ 'state', 'failures', 'firstFailureAt', 'windowAt', 'calls', 'fails', 'prevCalls', 'prevFails', 'openedAt', 'openUntil', 'probe', 'probeUntil' }) do
    local value = c[field]
    if value ~= nil and value ~= 0 and value ~= 'closed' then
      fields[#fields + 1] = field
      fields[#fields + 1] = value
    end
  end
  if #fields > 0 then
    redis.call('HSET', key, unpack(fields))
    -- A streak is kept long (failures days apart never add up to "continuous" once it expires);
    -- a window alone, briefly.
    local keep = s.window_ms
    if c.failures > 0 or c.state ~= 'closed' then
      keep = s.disable_after_ms + s.cooldown_ms + 86400000
    end
    redis.call('PEXPIRE', key, keep)
  end
  if c.state ~= c.loaded_state then
    if c.state == 'closed' then
      redis.call('SREM', open_set, webhook_id)
    else
      redis.call('SADD', open_set, webhook_id)
    end
  end
  if c.failures > 0 and now - c.firstFailureAt >= s.disable_after_ms then
    return 1
  end
  return 0
end
