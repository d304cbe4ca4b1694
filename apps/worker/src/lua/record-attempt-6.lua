--[[
  Records one delivery attempt in one command: the webhook's attempt log and counters, the event's
  attempt log, the global counters, and (when given) a dead letter to park or one to clear.

  KEYS[1] the webhook's attempt log (list, newest first)
  KEYS[2] the webhook's counters (hash)
  KEYS[3] global delivery counters (hash)
  KEYS[4] the event's attempt log (list, newest first)
  KEYS[5] dead letters (hash)
  KEYS[6] dead letters by time (sorted set)
  ARGV[1] the attempt JSON
  ARGV[2] its outcome (success, retry, dead_letter, skipped)
  ARGV[3] its duration in whole ms
  ARGV[4] attempts kept per webhook
  ARGV[5] attempts kept per event
  ARGV[6] seconds the event's attempt log is kept
  ARGV[7] dead letter id to park ('' for none)
  ARGV[8] dead letter JSON
  ARGV[9] dead letter time (unix ms, the sorted set score)
  ARGV[10] dead letter id to clear ('' for none)

  Returns 1.
]]
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[4]) - 1)
redis.call('HINCRBY', KEYS[2], 'total', 1)
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('HINCRBY', KEYS[2], 'durationMsTotal', ARGV[3])
redis.call('HINCRBY', KEYS[3], 'total', 1)
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
redis.call('LPUSH', KEYS[4], ARGV[1])
redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[5]) - 1)
redis.call('EXPIRE', KEYS[4], ARGV[6])
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[5], ARGV[7], ARGV[8])
  redis.call('ZADD', KEYS[6], ARGV[9], ARGV[7])
end
if ARGV[10] ~= '' then
  redis.call('HDEL', KEYS[5], ARGV[10])
  redis.call('ZREM', KEYS[6], ARGV[10])
end
return 1
