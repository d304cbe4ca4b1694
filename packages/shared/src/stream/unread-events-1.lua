--[[
  How many entries of the events stream the fan-out group has not read yet.

  KEYS[1] the events stream
  ARGV[1] the consumer group

  Returns the count, or -1 when Redis cannot tell (before Redis 7).
]]
--@include events-stream

return stream_unread(KEYS[1], ARGV[1])
