package redislimit

import "github.com/redis/go-redis/v9"

// allowScript is one sliding-window check, atomic in Redis.
//
// KEYS[1] is a hash of per-second counts: field = unix second, value =
// events counted in it. ARGV: the caller's current unix second, the window
// in seconds, the limit, the key's lifetime in seconds.
//
// It drops the fields that left the window (at or before now - window),
// sums the rest, and either refuses, returning {0, oldest second still
// counted}, or counts the event in the current second (in the newest one
// if the caller's clock is behind another node's), renews the key's
// lifetime and returns {1, 0}. Stale fields are deleted in chunks because
// Lua's unpack has a bounded stack.
var allowScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local cutoff = now - tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local flat = redis.call('HGETALL', KEYS[1])
local total, oldest, newest, gone = 0, nil, nil, {}
for i = 1, #flat, 2 do
  local sec = tonumber(flat[i])
  if sec <= cutoff then
    gone[#gone + 1] = flat[i]
  else
    total = total + tonumber(flat[i + 1])
    if oldest == nil or sec < oldest then oldest = sec end
    if newest == nil or sec > newest then newest = sec end
  end
end
for i = 1, #gone, 1000 do
  redis.call('HDEL', KEYS[1], unpack(gone, i, math.min(i + 999, #gone)))
end
if total >= limit then
  return {0, oldest}
end
local sec = now
if newest ~= nil and newest > now then sec = newest end
redis.call('HINCRBY', KEYS[1], tostring(sec), 1)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return {1, 0}
`)
