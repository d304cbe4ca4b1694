--[[
  Removes from the fan-out group the consumers long gone: those with nothing pending, idle past a
  limit, other than the caller (every worker start joins under a new name). A script so that, on a
  cluster, it runs on the node that holds the stream (XINFO and XGROUP name it in a subcommand).

  KEYS[1] the events stream
  ARGV[1] the group
  ARGV[2] the caller's own consumer name
  ARGV[3] idle time past which a consumer with nothing pending is removed, in ms

  Returns how many were removed.
]]
local removed = 0
for _, fields in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #fields, 2 do
    info[fields[i]] = fields[i + 1]
  end
  if info.name ~= ARGV[2] and tonumber(info.pending) == 0 and tonumber(info.idle) > tonumber(ARGV[3]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info.name)
    removed = removed + 1
  end
end
return removed
