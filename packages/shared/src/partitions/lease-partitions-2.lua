--[[
  One worker's turn at the partitions' leases: it says it is alive, takes its share of the
  partitions (the count over the workers alive, the first workers by name taking one more when it
  does not divide), renews the leases it keeps, lets go of those past its share, and takes free or
  expired ones up to it. Leases bound which partitions a worker works on; two workers on one
  partition for a moment (one letting go, one taking over) is safe, as consumers of one group are.

  KEYS[1] hash: partition → '<worker>|<expiry ms>'
  KEYS[2] sorted set: worker → when it last took its turn (ms)
  ARGV[1] this worker
  ARGV[2] the time now (ms)
  ARGV[3] how long a lease or a worker's turn holds (ms)
  ARGV[4] the number of partitions
  ARGV[5] '1' when the worker is leaving: it lets go of everything and of its place

  Returns the partitions this worker holds now.
]]
local worker, now, ttl, count = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local leaving = ARGV[5] == '1'
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl)
if leaving then
  redis.call('ZREM', KEYS[2], worker)
else
  redis.call('ZADD', KEYS[2], now, worker)
end
local workers = redis.call('ZRANGE', KEYS[2], 0, -1)
table.sort(workers)
local share = 0
for i, name in ipairs(workers) do
  if name == worker then
    share = math.floor(count / #workers) + ((i <= count % #workers) and 1 or 0)
  end
end

local mine, free = {}, {}
for p = 0, count - 1 do
  local lease = redis.call('HGET', KEYS[1], p)
  local owner, expiry
  if lease then
    owner, expiry = string.match(lease, '^(.*)|(%d+)$')
  end
  if owner == worker then
    mine[#mine + 1] = p
  elseif not owner or tonumber(expiry) <= now then
    free[#free + 1] = p
  end
end

local held = {}
for i, p in ipairs(mine) do
  if i <= share then
    held[#held + 1] = p
  else
    redis.call('HDEL', KEYS[1], p)
  end
end
for _, p in ipairs(free) do
  if #held >= share then
    break
  end
  held[#held + 1] = p
end
for _, p in ipairs(held) do
  redis.call('HSET', KEYS[1], p, worker .. '|' .. (now + ttl))
end
return held
