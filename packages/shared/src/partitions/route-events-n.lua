--[[
  Fan-out's one hop between partitions: writes the events of one fan-out batch that go to this
  partition's webhooks into its stream as one entry (stream-entry.ts, `routed`), each event once.
  Each event's id goes into a marker set (one per hour the events were received in), so that a
  batch read again after a crash (its source partition's fan-out had not acknowledged it) writes
  nothing new; the source removes the ids once it has acknowledged its entries, and the sets
  expire anyway.

  KEYS[1]   this partition's events stream
  KEYS[2…]  the marker sets the events' ids go into
  ARGV[1]   the entry's one field (STREAM_FIELDS.routed)
  ARGV[2]   how long a marker set lives after its last write, in seconds
  ARGV[3]   '1': leave out the events already marked (the batch may have been written before);
            '0': none can be (its source entries were read for the first time)
  ARGV[4…]  for each event, three values: its marker set's place in KEYS, its id, its JSON
            (stream-entry.ts, routedItem)

  Returns the number of events written (the others were written before).
]]
local marked = {}
if ARGV[3] == '1' then
  for k = 2, #KEYS do
    local ids = {}
    for i = 4, #ARGV, 3 do
      if tonumber(ARGV[i]) == k then
        ids[#ids + 1] = ARGV[i + 1]
      end
    end
    if #ids > 0 then
      local found = redis.call('SMISMEMBER', KEYS[k], unpack(ids))
      for j, id in ipairs(ids) do
        if found[j] == 1 then
          marked[id] = true
        end
      end
    end
  end
end
local items = {}
local new_ids = {}
for i = 4, #ARGV, 3 do
  local id = ARGV[i + 1]
  if not marked[id] then
    items[#items + 1] = ARGV[i + 2]
    local k = tonumber(ARGV[i])
    new_ids[k] = new_ids[k] or {}
    table.insert(new_ids[k], id)
  end
end
if #items == 0 then
  return 0
end
-- The entry before the markers: should the markers fail, a batch read again writes its events
-- twice rather than never.
redis.call('XADD', KEYS[1], '*', ARGV[1], '[' .. table.concat(items, ',') .. ']')
for k = 2, #KEYS do
  if new_ids[k] then
    redis.call('SADD', KEYS[k], unpack(new_ids[k]))
    redis.call('EXPIRE', KEYS[k], ARGV[2])
  end
end
return #items
