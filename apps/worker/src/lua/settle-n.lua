--[[
  Settles a batch of deliveries in one command: what each attempt did (the webhook's attempt log
  and counters, the event's attempt list, global counters, the circuit breaker), dead letters
  parked or cleared, and the stream entries the batch finishes: acknowledged (with the events
  counted), or, for entries with deliveries still in flight, marked with the webhooks settled so
  far so that a worker claiming the entry after a crash skips them. Entries that are not events go
  to the invalid stream here too.

  KEYS[1] delivery counters, producers' events (hash)   KEYS[6] events fanned out by <tenant>:<type> (hash)
  KEYS[2] dead letters (hash)                           KEYS[7] producers' events fanned out this minute
  KEYS[3] dead letters by time (sorted set)             KEYS[8] webhooks with an open circuit (set)
  KEYS[4] events stream                                 KEYS[9] delivery counters, Herald's own events (hash)
  KEYS[5] invalid entries stream                        KEYS[10] Herald's own events fanned out this minute
                                                        KEYS[11] webhooks (hash)
  then the keys of each section below, in order.

  ARGV[1] attempts kept per webhook                ARGV[5] approximate cap of the invalid stream
  ARGV[2] attempts kept per event                  ARGV[6] ms of continuous failure that disable a webhook
  ARGV[3] seconds an event's attempt list is kept (0: none)
  ARGV[4] ms a settled-deliveries marker is kept   ARGV[7] the consumer group
  then the sections, each opening with its count:
    webhooks:  keys (attempt log, counters, circuit); webhook id, n, n attempt JSONs (oldest
               first), m, m × (outcome, count), duration ms total, e, then when e > 0 the breaker
               (enabled 1/0, failure threshold, failure ratio, window ms, cool-down ms) and
               e × (effect, token, started ms)
    totals:    for producers' events, then for Herald's own: n, n × (outcome, count)
    minute:    see the block "per-minute delivery outcomes" below
    events:    key (attempt list); n, n attempts (oldest first), each the number of its JSON among
               all the webhooks' attempts above, counted from 1 in order
    park:      keys (webhook's and tenant's dead letter index); id, JSON, time (unix ms)
    clear:     keys (webhook's and tenant's dead letter index); id
    markers:   key (settled-deliveries hash); n, n webhook ids
    acks:      n entry ids; then d, and d keys (markers to drop); then c, c × (field, count); then
               the producers' events and Herald's own events among those finished
    invalid:   entry id, reason, fields JSON, time (ISO)

  A webhook deleted while its deliveries were in flight keeps no attempt log, counters or circuit:
  its deliveries count in the totals and the events' attempt lists, and one that fails for good is
  still parked as a dead letter (dead letters outlive their webhook, for replay elsewhere or purge).

  Returns the circuit changes: { webhook id, transitions ('opened', 'closed', comma-joined, or
  ''), disable 1/0 } for each webhook where something changed.
]]
--@include circuit
--@include dead-letters

local a = 8
local k = 12
local function arg()
  a = a + 1
  return ARGV[a - 1]
end
local function num()
  return tonumber(arg())
end
local function key()
  k = k + 1
  return KEYS[k - 1]
end
local function args(n)
  local list = {}
  for i = 1, n do
    list[i] = arg()
  end
  return list
end

local log_kept = tonumber(ARGV[1])
local event_kept = tonumber(ARGV[2])
local event_ttl = tonumber(ARGV[3])
local marker_ttl = tonumber(ARGV[4])
local now = clock_ms()
local changes = {}
local all_attempts = {}

-- webhooks
for _ = 1, num() do
  local log_key = key()
  local stats_key = key()
  local circuit_key = key()
  local webhook_id = arg()
  local attempts = args(num())
  for _, json in ipairs(attempts) do
    all_attempts[#all_attempts + 1] = json
  end
  local exists = redis.call('HEXISTS', KEYS[11], webhook_id) == 1
  if exists and #attempts > 0 then
    redis.call('LPUSH', log_key, unpack(attempts))
    redis.call('LTRIM', log_key, 0, log_kept - 1)
  end
  local total = 0
  for _ = 1, num() do
    local outcome = arg()
    local count = num()
    if exists then
      redis.call('HINCRBY', stats_key, outcome, count)
    end
    total = total + count
  end
  local duration = num()
  if exists and total > 0 then
    redis.call('HINCRBY', stats_key, 'total', total)
    redis.call('HINCRBY', stats_key, 'durationMsTotal', duration)
  end
  local effects = num()
  if effects > 0 then
    local s = { disable_after_ms = tonumber(ARGV[6]) }
    s.enabled = arg() == '1'
    s.threshold = num()
    s.ratio = num()
    s.window_ms = num()
    s.cooldown_ms = num()
    local list = {}
    local all_success = true
    for i = 1, effects do
      local effect = arg()
      local token = arg()
      list[i] = { effect, token, num() }
      if list[i][1] ~= 'success' then
        all_success = false
      end
    end
    -- The common case: a healthy webhook has no circuit hash, and successes leave it so.
    if exists and (not all_success or redis.call('EXISTS', circuit_key) == 1) then
      -- The attempts are recorded above whatever happens here: the circuit update is best effort.
      local ok, transitions, disable = pcall(function()
        local c = circuit_load(circuit_key)
        local made = {}
        for _, e in ipairs(list) do
          local transition = circuit_apply(c, e[1], e[2], e[3], now, s)
          if transition ~= '' then
            made[#made + 1] = transition
          end
        end
        return made, circuit_save(circuit_key, c, KEYS[8], webhook_id, now, s)
      end)
      if ok and (#transitions > 0 or disable == 1) then
        changes[#changes + 1] = webhook_id
        changes[#changes + 1] = table.concat(transitions, ',')
        changes[#changes + 1] = disable
      end
    end
  end
end

-- totals: producers' events, then Herald's own
for _, totals_key in ipairs({ KEYS[1], KEYS[9] }) do
  local total = 0
  for _ = 1, num() do
    local outcome = arg()
    local count = num()
    redis.call('HINCRBY', totals_key, outcome, count)
    total = total + count
  end
  if total > 0 then
    redis.call('HINCRBY', totals_key, 'total', total)
  end
end

-- ---- per-minute delivery outcomes ---------------------------------------------------------------
-- Producers' attempts by outcome in this minute, for the console's history (GET /v1/stats).
-- KEYS: the minute's hash (keys.deliveriesInMinute). ARGV: seconds it is kept, then n,
-- n × (outcome, count): the producers' totals again. Self-contained: it reads only its own section.
do
  local minute_key = key()
  local keep = num()
  local n = num()
  for _ = 1, n do
    local outcome = arg()
    local count = num()
    redis.call('HINCRBY', minute_key, outcome, count)
  end
  if n > 0 and redis.call('TTL', minute_key) < 0 then
    redis.call('EXPIRE', minute_key, keep)
  end
end
-- ---- end of per-minute delivery outcomes ---------------------------------------------------------

-- events' attempt lists: the TTL is set when the list is made (an event's attempts are kept that
-- long from its first one)
for _ = 1, num() do
  local list_key = key()
  local attempts = {}
  for i = 1, num() do
    attempts[i] = all_attempts[num()]
  end
  local length = redis.call('LPUSH', list_key, unpack(attempts))
  if length == #attempts then
    redis.call('EXPIRE', list_key, event_ttl)
  elseif length > event_kept then
    redis.call('LTRIM', list_key, 0, event_kept - 1)
  end
end

-- dead letters parked
for _ = 1, num() do
  local by_webhook = key()
  local by_tenant = key()
  local id = arg()
  local json = arg()
  dead_letter_park(KEYS[2], KEYS[3], by_webhook, by_tenant, id, json, arg())
end

-- dead letters cleared (a replay succeeded)
for _ = 1, num() do
  local by_webhook = key()
  local by_tenant = key()
  dead_letter_remove(KEYS[2], KEYS[3], by_webhook, by_tenant, arg())
end

-- deliveries settled while their entry still has others in flight
for _ = 1, num() do
  local marker = key()
  local ids = args(num())
  local fields = {}
  for i, id in ipairs(ids) do
    fields[2 * i - 1] = id
    fields[2 * i] = '1'
  end
  redis.call('HSET', marker, unpack(fields))
  redis.call('PEXPIRE', marker, marker_ttl)
end

-- entries finished: invalid ones are kept with their reason, all are acknowledged, events counted
local acks = args(num())
local drop = {}
for i = 1, num() do
  drop[i] = key()
end
for _ = 1, num() do
  local field = arg()
  redis.call('HINCRBY', KEYS[6], field, num())
end
for _, minute_key in ipairs({ KEYS[7], KEYS[10] }) do
  local finished = num()
  if finished > 0 then
    redis.call('INCRBY', minute_key, finished)
    redis.call('EXPIRE', minute_key, 7200)
  end
end
for _ = 1, num() do
  local entry = arg()
  local reason = arg()
  local fields = arg()
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[5], '*', 'entryId', entry, 'reason', reason, 'fields', fields, 'at', arg())
end
if #drop > 0 then
  redis.call('DEL', unpack(drop))
end
if #acks > 0 then
  redis.call('XACK', KEYS[4], ARGV[7], unpack(acks))
end
return changes
