--[[
  Makes the fan-out group on the events stream (and the stream), unless it is there. A script
  rather than XGROUP CREATE itself: a cluster client cannot tell which key a subcommand names, and
  would send it to any node; a script's KEYS route it to the node that holds the stream.

  KEYS[1] the events stream
  ARGV[1] the group

  Returns 1 when it made the group, 0 when it was there.
]]
local ok = pcall(redis.call, 'XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
return ok and 1 or 0
