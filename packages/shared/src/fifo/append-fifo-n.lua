--[[
  Puts the FIFO deliveries fan-out planned from a batch of entries into their lines, and records the
  batch as planned; then sends out the heads that may go. One call per batch (fifo/fifo-lines.ts).

  KEYS[1]             the partition's planning set (its slot names the partition)
  KEYS[2i], KEYS[2i+1] per delivery i: its event's payload key, its entry's settled-deliveries marker
  ARGV[1]  the FIFO prefix (RedisKeys.fifo)
  ARGV[2]  unused (the time is Redis's own)
  ARGV[3]  how long a settled-deliveries marker lives, in ms
  ARGV[4]  E: how many entries the batch planned; ARGV[5 .. 4+E] their ids
  then per delivery: webhook id, line, entry id, event id, event JSON, its field in the marker

  A delivery is added once (a claimed entry planned again adds nothing), taking a reference to its
  payload, and marked settled for its entry, so that a claim plans it no more.
  Returns the heads sent out: { webhook, line, head, n, … }.
]]
--@include payloads
--@include fifo

local B = ARGV[1]
local now_ms = fifo_now_ms()
local marker_ttl = tonumber(ARGV[3])
local entries = tonumber(ARGV[4])
for i = 1, entries do
  redis.call('ZREM', KEYS[1], fifo_order_key(ARGV[4 + i]))
end

local touched = {}
local lines = {}
local first = 5 + entries
local deliveries = (#ARGV - first + 1) / 6
for i = 0, deliveries - 1 do
  local at = first + i * 6
  local webhook, line, entry_id, event_id, json = ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3], ARGV[at + 4]
  local member = fifo_order_key(entry_id) .. '|' .. event_id .. '|0'
  local marker = KEYS[3 + i * 2]
  -- Marked already: planned by a claim of the entry (its delivery may be done and gone from the line).
  if redis.call('HEXISTS', marker, ARGV[at + 5]) == 0 then
    if fifo_add(B, webhook, line, member) then
      payload_retain(KEYS[2 + i * 2], json)
    end
    redis.call('HSET', marker, ARGV[at + 5], 1)
    redis.call('PEXPIRE', marker, marker_ttl)
  end
  local id = webhook .. '|' .. line
  if not touched[id] then
    touched[id] = true
    table.insert(lines, { webhook, line })
  end
end

local out = {}
local W = fifo_watermark(B)
for _, wl in ipairs(lines) do
  local head = fifo_try(B, wl[1], wl[2], W, now_ms)
  if head then
    table.insert(out, head)
  end
end
fifo_pump(B, now_ms, 500, out)

return fifo_flatten(out)
