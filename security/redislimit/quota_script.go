package redislimit

import "github.com/redis/go-redis/v9"

// takeScript is one Quota.Take, atomic in Redis: allowScript's sliding
// window with a limit per call, answering what security.QuotaDecision
// needs.
//
// KEYS[1] is a hash of per-second counts: field = unix second, value =
// requests counted in it. ARGV: the caller's current unix second, the
// window in seconds, the limit, the key's lifetime in seconds.
//
// It drops the fields that left the window (at or before now - window)
// and sums the rest. If the sum is under the limit it counts the request
// in the current second (in the newest one if the caller's clock is behind
// another node's) and renews the key's lifetime. It returns {allowed (1 or
// 0), the sum after the decision, the reset second}: walking the counted
// seconds oldest first, the first whose leaving brings the sum under the
// limit by one more request than now (for an allowed request: the oldest),
// plus the window — security.secondCounts.freeAt exactly.
var takeScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local secs = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local cutoff = now - secs
local flat = redis.call('HGETALL', KEYS[1])
local total, live, gone = 0, {}, {}
for i = 1, #flat, 2 do
  local sec = tonumber(flat[i])
  if sec <= cutoff then
    gone[#gone + 1] = flat[i]
  else
    local n = tonumber(flat[i + 1])
    total = total + n
    live[#live + 1] = {sec, n}
  end
end
for i = 1, #gone, 1000 do
  redis.call('HDEL', KEYS[1], unpack(gone, i, math.min(i + 999, #gone)))
end
table.sort(live, function(a, b) return a[1] < b[1] end)
local allowed = 0
if total < limit then
  allowed = 1
  local sec = now
  if #live > 0 and live[#live][1] > now then sec = live[#live][1] end
  redis.call('HINCRBY', KEYS[1], tostring(sec), 1)
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  total = total + 1
  if #live > 0 and live[#live][1] == sec then
    live[#live][2] = live[#live][2] + 1
  else
    live[#live + 1] = {sec, 1}
  end
end
local need = math.max(1, total - limit + 1)
for i = 1, #live do
  need = need - live[i][2]
  if need <= 0 then return {allowed, total, live[i][1] + secs} end
end
return {allowed, total, live[#live][1] + secs}
`)
