--[[
  Decides whether a delivery may go out now, for all workers at once: the webhook's circuit
  breaker first, then its token bucket. Time comes from Redis, so workers' clocks do not matter.

  KEYS[1] circuit hash (state, failures, openUntil, probe, probeUntil, firstFailureAt)
  KEYS[2] token bucket hash (tokens, ts)
  ARGV[1] rate per second (0: no rate limit)
  ARGV[2] burst
  ARGV[3] 1 when the circuit breaker is enabled, else 0
  ARGV[4] this delivery's job id (the probe's identity when half-open)
  ARGV[5] how long a half-open probe may take before another delivery may probe, in ms

  Returns { verdict, waitMs, transition }: verdict 'ok', 'circuit' or 'rate'; waitMs how long to
  wait before trying again; transition 'half_open' when this call made the circuit half-open.
]]
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])

-- Rate first, without taking a token: a delivery that must wait anyway must not become the probe.
local tokens = burst
if rate > 0 then
  local stored = redis.call('HMGET', KEYS[2], 'tokens', 'ts')
  tokens = tonumber(stored[1]) or burst
  local ts = tonumber(stored[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
  if tokens < 1 then
    redis.call('HSET', KEYS[2], 'tokens', tostring(tokens), 'ts', now)
    return { 'rate', math.ceil((1 - tokens) * 1000 / rate), '' }
  end
end

local transition = ''
if ARGV[3] == '1' then
  local c = redis.call('HMGET', KEYS[1], 'state', 'openUntil', 'probe', 'probeUntil')
  local state = c[1] or 'closed'
  if state == 'open' then
    local open_until = tonumber(c[2]) or 0
    if now < open_until then
      return { 'circuit', open_until - now, '' }
    end
    redis.call('HSET', KEYS[1], 'state', 'half_open', 'probe', ARGV[4], 'probeUntil', now + tonumber(ARGV[5]))
    transition = 'half_open'
  elseif state == 'half_open' then
    local probe_until = tonumber(c[4]) or 0
    if c[3] ~= ARGV[4] and now < probe_until then
      return { 'circuit', math.max(100, math.min(probe_until - now, 1000)), '' }
    end
    redis.call('HSET', KEYS[1], 'probe', ARGV[4], 'probeUntil', now + tonumber(ARGV[5]))
  end
end

if rate > 0 then
  redis.call('HSET', KEYS[2], 'tokens', tostring(tokens - 1), 'ts', now)
  redis.call('PEXPIRE', KEYS[2], math.ceil(burst * 1000 / rate) + 60000)
end
return { 'ok', 0, transition }
