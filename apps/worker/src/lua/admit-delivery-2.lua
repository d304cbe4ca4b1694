--[[
  Decides whether a delivery may go out now, for all workers at once: the webhook's circuit
  breaker, then its token bucket. Time comes from Redis, so workers' clocks do not matter.

  KEYS[1] circuit hash (state, failures, openUntil, probe, probeUntil, firstFailureAt)
  KEYS[2] token bucket hash (tokens, ts)
  ARGV[1] rate per second (0: no rate limit)
  ARGV[2] burst
  ARGV[3] 1 when the circuit breaker is enabled, else 0
  ARGV[4] this delivery's job id (the probe's identity when half-open)
  ARGV[5] how long a half-open probe may take before another delivery may probe, in ms
  ARGV[6] the longest wait, in ms, for which a token may be reserved ahead (the caller then
          sleeps and sends); at most two reservations are ever outstanding

  Returns { verdict, waitMs, transition }:
    'ok'        send now
    'reserved'  a token is reserved: sleep waitMs, then send without asking again
    'rate'      over the rate limit: try again after waitMs (nothing reserved)
    'circuit'   the circuit is open, or another delivery is probing: try again after waitMs
  transition is 'half_open' when this call made the circuit half-open (this delivery is the probe).
]]
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])

-- The circuit first, without writing: a delivery that must wait anyway must not become the probe.
local become_probe = false
local renew_probe = false
if ARGV[3] == '1' then
  local c = redis.call('HMGET', KEYS[1], 'state', 'openUntil', 'probe', 'probeUntil')
  local state = c[1] or 'closed'
  if state == 'open' then
    local open_until = tonumber(c[2]) or 0
    if now < open_until then
      return { 'circuit', open_until - now, '' }
    end
    become_probe = true
  elseif state == 'half_open' then
    local probe_until = tonumber(c[4]) or 0
    if c[3] ~= ARGV[4] and now < probe_until then
      return { 'circuit', math.max(500, math.min(probe_until - now, 5000)), '' }
    end
    renew_probe = true
  end
end

local verdict = 'ok'
local wait = 0
if rate > 0 then
  local stored = redis.call('HMGET', KEYS[2], 'tokens', 'ts')
  local tokens = tonumber(stored[1]) or burst
  local ts = tonumber(stored[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
  if tokens < 1 then
    wait = math.ceil((1 - tokens) * 1000 / rate)
    if tokens <= -1 or wait > tonumber(ARGV[6]) then
      redis.call('HSET', KEYS[2], 'tokens', tostring(tokens), 'ts', now)
      return { 'rate', wait, '' }
    end
    verdict = 'reserved'
  end
  redis.call('HSET', KEYS[2], 'tokens', tostring(tokens - 1), 'ts', now)
  redis.call('PEXPIRE', KEYS[2], math.min(86400000, math.ceil(burst * 1000 / rate) + 60000))
end

local transition = ''
if become_probe then
  redis.call('HSET', KEYS[1], 'state', 'half_open', 'probe', ARGV[4], 'probeUntil', now + tonumber(ARGV[5]))
  transition = 'half_open'
elseif renew_probe then
  redis.call('HSET', KEYS[1], 'probe', ARGV[4], 'probeUntil', now + tonumber(ARGV[5]))
end
return { verdict, wait, transition }
