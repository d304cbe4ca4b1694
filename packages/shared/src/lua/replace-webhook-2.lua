--[[
  Replaces a webhook document only if it is still the one the caller read (compare-and-set),
  so that concurrent updates (an operator's PATCH, a worker disabling on 410) never overwrite
  each other. Bumps the webhooks' version on success.

  KEYS[1] webhooks hash
  KEYS[2] webhooks version counter
  ARGV[1] webhook id
  ARGV[2] the JSON the caller read
  ARGV[3] the new JSON

  Returns 1 when replaced, 0 when the document changed meanwhile, -1 when it no longer exists.
]]
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then
  return -1
end
if current ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('INCR', KEYS[2])
return 1
