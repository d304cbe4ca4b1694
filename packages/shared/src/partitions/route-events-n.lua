--[[
  Fan-out's one hop between partitions: writes events into this partition's stream, each with the
  webhooks of this partition it goes to, once. A marker per event makes an entry read again after
  a crash (its source partition's fan-out had not acknowledged it) write nothing new; the source
  deletes the markers once it has acknowledged the entry, and they expire anyway.

  KEYS[1]   this partition's events stream
  KEYS[2…]  the events' markers, one per event, in order
  ARGV[1]   how long a marker lives, in seconds
  ARGV[2…]  for each event in order, its entry's 8 fields and values (stream-entry.ts, routedEntryFields)

  Returns the number of events written (the others were written before).
]]
local ttl = ARGV[1]
local written = 0
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ttl) then
    local at = 2 + (i - 2) * 8
    redis.call('XADD', KEYS[1], '*', unpack(ARGV, at, at + 7))
    written = written + 1
  end
end
return written
