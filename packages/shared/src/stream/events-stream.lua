--[[
  The fan-out group's position on the events stream, included by the scripts that append to it and
  trim it; stream/events-stream.ts owns the same reading on the TypeScript side. Entries the group
  has not read yet are its backlog; entries it read but has not acknowledged are pending. Neither may
  ever be trimmed: only entries below the safe point are done with.
]]

-- The group's fields from XINFO GROUPS (name, pending, last-delivered-id, and from Redis 7 lag),
-- or nil when the stream or the group does not exist.
local function stream_group(stream, group)
  if redis.call('EXISTS', stream) == 0 then
    return nil
  end
  for _, flat in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    local fields = {}
    for i = 1, #flat, 2 do
      fields[flat[i]] = flat[i + 1]
    end
    if fields['name'] == group then
      return fields
    end
  end
  return nil
end

-- Entries the group has not read yet; -1 when Redis cannot tell (before Redis 7, or after entries
-- ahead of the group were deleted with XDEL).
local function stream_unread(stream, group)
  local fields = stream_group(stream, group)
  if not fields then
    -- No group yet: it starts at the beginning of the stream, so nothing has been read.
    return redis.call('XLEN', stream)
  end
  local lag = fields['lag']
  if type(lag) == 'number' then
    return lag
  end
  return -1
end

-- The id below which every entry has been read and acknowledged: the oldest pending entry, or the
-- last read; '0-0' when nothing may go.
local function stream_safe_point(stream, group)
  local fields = stream_group(stream, group)
  if not fields then
    return '0-0'
  end
  if tonumber(fields['pending']) > 0 then
    return redis.call('XPENDING', stream, group)[2]
  end
  return fields['last-delivered-id']
end
