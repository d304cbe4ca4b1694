--[[
  Decides whether one queued delivery may go out now, for all workers at once: the webhook's
  circuit breaker, then its token bucket. Time comes from Redis, so workers' clocks do not matter.

  KEYS[1] the webhook's circuit hash (circuit.lua)
  KEYS[2] the webhook's token bucket hash (token-bucket.lua)
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
--@include circuit
--@include token-bucket

local now = clock_ms()
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])

-- The circuit first, without writing: a delivery that must wait anyway must not become the probe.
local circuit = 'go'
if ARGV[3] == '1' then
  local wait
  circuit, wait = circuit_check(KEYS[1], now, ARGV[4])
  if circuit == 'wait' then
    return { 'circuit', wait, '' }
  end
end

local verdict = 'ok'
local wait = 0
if rate > 0 then
  local tokens = bucket_tokens(KEYS[2], now, rate, burst)
  if tokens < 1 then
    wait = bucket_wait(tokens, rate)
    if tokens <= -1 or wait > tonumber(ARGV[6]) then
      -- Nothing to store: below a whole token the bucket only refills, the same from its stored state.
      return { 'rate', wait, '' }
    end
    verdict = 'reserved'
  end
  bucket_store(KEYS[2], now, rate, burst, tokens - 1)
end

local transition = ''
if circuit == 'open_probe' or circuit == 'renew_probe' then
  circuit_take_probe(KEYS[1], ARGV[4], now, tonumber(ARGV[5]))
  if circuit == 'open_probe' then
    transition = 'half_open'
  end
end
return { verdict, wait, transition }
