--[[
  The oldest parked deliveries of one webhook that may go now, as its circuit allows: as many as
  asked while it is closed (or its breaker is off); one, the probe, once its cool-down is over and
  no other probe is out or on its way; none otherwise. They stay parked until released
  (release-parked-3.lua), after the jobs that carry them exist: a worker that dies between the two
  leaves them to be taken again, and the jobs' ids make them once.

  KEYS[1] the webhook's parked deliveries (stream)
  KEYS[2] the set of webhooks with parked deliveries
  KEYS[3] the webhook's circuit (circuit.lua)
  KEYS[4] the webhook's probe gate (a string with a TTL)
  ARGV[1] webhook id
  ARGV[2] the most to take while the circuit is closed
  ARGV[3] 1 when the webhook's circuit breaker is on
  ARGV[4] how long a probe taken holds the gate, in ms: the time its job takes to reach admission,
          where it becomes the probe (circuit.lua) and the circuit half-open

  Returns { { entry id, event id, attempts before, replay }, … }, oldest first.
]]
--@include circuit

if redis.call('XLEN', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[2], ARGV[1])
  redis.call('DEL', KEYS[1])
  return {}
end
local count = tonumber(ARGV[2])
if ARGV[3] == '1' then
  local verdict = circuit_check(KEYS[3], clock_ms(), '')
  if verdict == 'wait' then
    return {}
  elseif verdict ~= 'go' then
    if not redis.call('SET', KEYS[4], '1', 'PX', ARGV[4], 'NX') then
      return {}
    end
    count = 1
  end
end
local taken = {}
for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', count)) do
  local fields = {}
  for i = 1, #entry[2], 2 do
    fields[entry[2][i]] = entry[2][i + 1]
  end
  taken[#taken + 1] = { entry[1], fields['e'], fields['a'], fields['r'] }
end
return taken
