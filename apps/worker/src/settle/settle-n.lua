--[[
  Settles a batch of deliveries in one command: what each attempt did (the webhook's attempt log
  and counters, the event's attempt list, global and per-minute counters, the circuit breaker),
  dead letters parked or cleared, deliveries parked while their circuit is open (with their
  references to their events' payloads), and the stream entries the batch finishes: acknowledged
  (with the events counted), or, for entries with deliveries still in flight, marked with the
  webhooks settled so far so that a worker claiming the entry after a crash skips them. Entries
  that are not events go to the invalid stream here too.

  KEYS    every key the batch touches (settle-script.ts, KeyList); the batch names each by its
          place here, from 1. KEYS[1] is the events stream.
  ARGV[1] the batch, msgpack (settle-script.ts, pack()): limits, keys (the fixed ones), webhooks,
          totals, eventAttempts, deadLetters, cleared, parks, markers, acks,
          dropMarkers, counts, finished, invalid.

  A webhook deleted while its deliveries were in flight keeps no attempt log, counters or circuit:
  its deliveries count in the totals and the events' attempt lists, and one that fails for good is
  still parked as a dead letter (dead letters outlive their webhook, for replay elsewhere or purge).

  Returns { circuit changes, backlog full }: for each webhook where something changed, its id, its
  transitions ('opened', 'closed', comma-joined, or '') and 1/0 to disable it; then the webhooks
  with a delivery dead-lettered because their parking was full.
]]
--@include circuit
--@include dead-letters
--@include payloads
--@include parking
--@include fifo

local b = cmsgpack.unpack(ARGV[1])
local L = b.limits
local K = b.keys
-- The time, read once and only by a batch that updates a circuit (most batches of healthy webhooks do not).
local now
local function now_ms()
  now = now or clock_ms()
  return now
end
local changes = {}
local backlog_full = {}
local all_attempts = {}

-- webhooks: attempt logs, counters and circuits
for _, w in ipairs(b.webhooks) do
  for _, json in ipairs(w.attempts) do
    all_attempts[#all_attempts + 1] = json
  end
  local exists
  if K.webhooks then
    exists = redis.call('HEXISTS', KEYS[K.webhooks], w.id) == 1
  else
    exists = redis.call('EXISTS', KEYS[w.gone]) == 0
  end
  if exists and #w.attempts > 0 then
    redis.call('LPUSH', KEYS[w.log], unpack(w.attempts))
    redis.call('LTRIM', KEYS[w.log], 0, L.logKept - 1)
  end
  local total = 0
  for _, pair in ipairs(w.outcomes) do
    if exists then
      redis.call('HINCRBY', KEYS[w.stats], pair[1], pair[2])
    end
    total = total + pair[2]
  end
  if exists and total > 0 then
    redis.call('HINCRBY', KEYS[w.stats], 'total', total)
    redis.call('HINCRBY', KEYS[w.stats], 'durationMsTotal', w.durationMs)
  end
  if w.breaker and #w.records > 0 then
    local s = {
      enabled = w.breaker.enabled, threshold = w.breaker.threshold, ratio = w.breaker.ratio,
      window_ms = w.breaker.windowMs, cooldown_ms = w.breaker.cooldownMs, disable_after_ms = L.disableAfterMs,
    }
    local all_success = true
    for _, r in ipairs(w.records) do
      if r[1] ~= 'success' then
        all_success = false
      end
    end
    -- The common case: a healthy webhook has no circuit hash, and successes leave it so.
    if exists and (not all_success or redis.call('EXISTS', KEYS[w.circuit]) == 1) then
      -- The attempts are recorded above whatever happens here: the circuit update is best effort.
      local ok, transitions, disable = pcall(function()
        local c = circuit_load(KEYS[w.circuit])
        local made = {}
        for _, r in ipairs(w.records) do
          local transition = circuit_apply(c, r[1], r[2], r[3], now_ms(), s)
          if transition ~= '' then
            made[#made + 1] = transition
          end
        end
        return made, circuit_save(KEYS[w.circuit], c, KEYS[K.openCircuits], w.id, now_ms(), s)
      end)
      if ok and (#transitions > 0 or disable == 1) then
        changes[#changes + 1] = w.id
        changes[#changes + 1] = table.concat(transitions, ',')
        changes[#changes + 1] = disable
      end
    end
  end
end

-- totals: producers' events, then Herald's own; and producers' outcomes in this minute (the
-- console's history), kept a day
for _, part in ipairs({ { b.totals.events, K.stats }, { b.totals.operational, K.operationalStats } }) do
  local total = 0
  for _, pair in ipairs(part[1]) do
    redis.call('HINCRBY', KEYS[part[2]], pair[1], pair[2])
    total = total + pair[2]
  end
  if total > 0 then
    redis.call('HINCRBY', KEYS[part[2]], 'total', total)
  end
end
if #b.totals.events > 0 then
  -- A field the batch makes (as the first write of the minute does) sets the TTL: no TTL read
  local minute_key = KEYS[K.deliveriesMinute]
  local made = false
  for _, pair in ipairs(b.totals.events) do
    made = redis.call('HINCRBY', minute_key, pair[1], pair[2]) == pair[2] or made
  end
  if made then
    redis.call('EXPIRE', minute_key, L.perMinuteTtlSeconds)
  end
end

-- events' attempt lists: the TTL is set when the list is made (an event's attempts are kept that
-- long from its first one)
for _, list in ipairs(b.eventAttempts) do
  local attempts = {}
  for i, n in ipairs(list.attempts) do
    attempts[i] = all_attempts[n]
  end
  local length = redis.call('LPUSH', KEYS[list.key], unpack(attempts))
  if length == #attempts then
    redis.call('EXPIRE', KEYS[list.key], L.eventTtlSeconds)
  elseif length > L.eventKept then
    redis.call('LTRIM', KEYS[list.key], 0, L.eventKept - 1)
  end
end

-- dead letters parked, each referring to its event's payload: a reference taken now with `event`
-- (the event's JSON), unless the delivery held one already, as a job
local function park_dead_letter(d, event)
  dead_letter_park(KEYS[K.deadLetters], KEYS[K.deadLettersByTime], KEYS[d.byWebhook], KEYS[d.byTenant], d.id, d.json, d.score)
  if event then
    payload_retain(KEYS[d.payload], event)
  end
end
for _, d in ipairs(b.deadLetters) do
  park_dead_letter(d, d.event)
end

-- dead letters cleared (a replay succeeded)
for _, c in ipairs(b.cleared) do
  dead_letter_remove(KEYS[K.deadLetters], KEYS[K.deadLettersByTime], KEYS[c.byWebhook], KEYS[c.byTenant], c.id)
end

-- deliveries parked while their circuit is open (each taking a reference to its event's payload);
-- past the webhook's backlog, dead-lettered instead
for _, p in ipairs(b.parks) do
  if park(KEYS[p.parked], KEYS[K.parked], p.webhook, p.eventId, p.attemptsBefore, p.replay, p.maxBacklog) == 1 then
    payload_retain(KEYS[p.payload], p.event)
  else
    park_dead_letter(p.backlogFull, p.event)
    backlog_full[#backlog_full + 1] = p.webhook
  end
end

-- deliveries settled while their entry still has others in flight
for _, m in ipairs(b.markers) do
  local fields = {}
  for i, id in ipairs(m.webhooks) do
    fields[2 * i - 1] = id
    fields[2 * i] = '1'
  end
  redis.call('HSET', KEYS[m.key], unpack(fields))
  -- The TTL is set when the entry's marker is made: it outlives any entry in hand.
  if m.fresh then
    redis.call('PEXPIRE', KEYS[m.key], L.markerTtlMs)
  end
end

-- entries finished: invalid ones are kept with their reason, all are acknowledged, events counted
for _, pair in ipairs(b.counts) do
  redis.call('HINCRBY', KEYS[K.typeCounts], pair[1], pair[2])
end
for _, part in ipairs({ { b.finished.events, K.eventsMinute }, { b.finished.operational, K.operationalMinute } }) do
  -- The TTL is set when the minute's counter is made.
  if part[1] > 0 and redis.call('INCRBY', KEYS[part[2]], part[1]) == part[1] then
    redis.call('EXPIRE', KEYS[part[2]], 7200)
  end
end
for _, entry in ipairs(b.invalid) do
  redis.call('XADD', KEYS[K.invalid], 'MAXLEN', '~', L.invalidMaxLen, '*', 'entryId', entry[1], 'reason', entry[2], 'fields', entry[3], 'at', entry[4])
end
if #b.dropMarkers > 0 then
  local drop = {}
  for i, place in ipairs(b.dropMarkers) do
    drop[i] = KEYS[place]
  end
  redis.call('DEL', unpack(drop))
end
if #b.acks > 0 then
  redis.call('XACK', KEYS[K.stream], L.group, unpack(b.acks))
  -- An entry acknowledged is planned, whatever happened to its batch's FIFO call: a line's head
  -- must never wait for it (a no-op where the partition never had a FIFO webhook).
  if redis.call('EXISTS', b.fifoPrefix .. ':planning') == 1 then
    local planned = {}
    for i, id in ipairs(b.acks) do
      planned[i] = fifo_order_key(id)
    end
    redis.call('ZREM', b.fifoPrefix .. ':planning', unpack(planned))
  end
end

-- FIFO heads done: their lines move on (or wait, blocked), and the next heads that may go are sent out
local heads = {}
for _, f in ipairs(b.fifo) do
  fifo_settle(b.fifoPrefix, f[1], f[2], f[3], f[4], f[5], f[6], heads)
end
return { changes, backlog_full, fifo_flatten(heads) }
