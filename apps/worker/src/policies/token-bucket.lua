--[[
  A webhook's token bucket, shared by all workers: included by the scripts that admit deliveries.
  The hash holds tokens (may go below 0 by reservations ahead) and ts (unix ms of the last refill).
]]

-- The bucket refilled to `now`: tokens, at most `burst`.
local function bucket_tokens(key, now, rate, burst)
  local stored = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(stored[1]) or burst
  local ts = tonumber(stored[2]) or now
  return math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
end

-- Stores `tokens` as of `now`; an idle bucket is forgotten a minute after it would be full again
-- anyway (from below zero, when tokens were reserved ahead, that takes longer than `burst`).
local function bucket_store(key, now, rate, burst, tokens)
  redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', now)
  redis.call('PEXPIRE', key, math.ceil((burst - math.min(tokens, burst)) * 1000 / rate) + 60000)
end

-- Milliseconds until the bucket holds one whole token.
local function bucket_wait(tokens, rate)
  if tokens >= 1 then
    return 0
  end
  return math.ceil((1 - tokens) * 1000 / rate)
end
