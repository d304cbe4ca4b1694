--[[
  Sends out the heads of waiting lines that may go now: those whose earlier entries are planned, and
  those an operator let go (skip, replay). Every worker runs it often; it does nothing in a
  partition that never had a FIFO webhook.

  KEYS[1]  the partition's waiting set
  ARGV[1]  the FIFO prefix (RedisKeys.fifo)
  ARGV[2]  unused (the time is Redis's own)
  ARGV[3]  the most lines to look at

  Returns the heads sent out: { webhook, line, head, n, … }.
]]
--@include fifo

local out = {}
fifo_pump(ARGV[1], fifo_now_ms(), tonumber(ARGV[3]), out)
return fifo_flatten(out)
