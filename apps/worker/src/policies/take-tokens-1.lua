--[[
  Takes up to n tokens at once from a webhook's token bucket, for deliveries going straight from
  the stream: those that get one go now, the others wait in the queue.

  KEYS[1] the webhook's token bucket hash (token-bucket.lua)
  ARGV[1] rate per second
  ARGV[2] burst
  ARGV[3] n, the tokens wanted

  Returns { granted, waitMs }: how many were taken, and (when fewer than n) the ms until the
  bucket holds a token again.
]]
--@include clock
--@include token-bucket

local now = clock_ms()
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tokens = bucket_tokens(KEYS[1], now, rate, burst)
local granted = math.max(0, math.min(tonumber(ARGV[3]), math.floor(tokens)))
tokens = tokens - granted
bucket_store(KEYS[1], now, rate, burst, tokens)
return { granted, bucket_wait(tokens, rate) }
