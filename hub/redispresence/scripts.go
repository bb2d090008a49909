package redispresence

import "github.com/redis/go-redis/v9"

// Every script takes the organisation's four keys (see the package
// documentation) and the current time in Unix milliseconds as ARGV[1].

// scriptPrelude names the keys and defines the shared helpers.
const scriptPrelude = `
local nodes, conns, away, last = KEYS[1], KEYS[2], KEYS[3], KEYS[4]

-- agentStatus is the agent's status across the live nodes.
local function agentStatus(agent)
  local prefix = agent .. '\0'
  for _, m in ipairs(redis.call('ZRANGEBYLEX', conns, '[' .. prefix, '(' .. agent .. '\1')) do
    local deadline = redis.call('ZSCORE', nodes, string.sub(m, #prefix + 1))
    if deadline and tonumber(deadline) > tonumber(ARGV[1]) then
      if redis.call('SISMEMBER', away, agent) == 1 then return 'away' end
      return 'online'
    end
  end
  return 'offline'
end

-- liveAgents lists the agents connected to a live node, each once, in
-- byte order (conns is sorted by member bytes and members start with the
-- agent id and a NUL).
local function liveAgents()
  local live = {}
  for _, n in ipairs(redis.call('ZRANGEBYSCORE', nodes, '(' .. ARGV[1], '+inf')) do live[n] = true end
  local out, seen = {}, {}
  for _, m in ipairs(redis.call('ZRANGE', conns, 0, -1)) do
    local i = string.find(m, '\0', 1, true)
    if i then
      local agent = string.sub(m, 1, i - 1)
      if live[string.sub(m, i + 1)] and not seen[agent] then
        seen[agent] = true
        out[#out + 1] = agent
      end
    end
  end
  return out
end

-- less compares two strings bytewise (Lua's < depends on the locale).
local function less(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
`

// setConnectedScript records whether an agent is connected to a node and
// refreshes the node's deadline. ARGV: now, deadline, node, agent,
// "1"|"0", gc ms. Returns {before, after}.
var setConnectedScript = redis.NewScript(scriptPrelude + `
local before = agentStatus(ARGV[4])
redis.call('ZADD', nodes, ARGV[2], ARGV[3])
local member = ARGV[4] .. '\0' .. ARGV[3]
if ARGV[5] == '1' then
  redis.call('ZADD', conns, 0, member)
else
  redis.call('ZREM', conns, member)
end
local after = agentStatus(ARGV[4])
for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[6]) end
return {before, after}
`)

// setAwayScript records an agent's away choice. ARGV: now, agent,
// "1"|"0", gc ms. Returns {before, after}.
var setAwayScript = redis.NewScript(scriptPrelude + `
local before = agentStatus(ARGV[2])
if ARGV[3] == '1' then
  redis.call('SADD', away, ARGV[2])
else
  redis.call('SREM', away, ARGV[2])
end
for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[4]) end
return {before, agentStatus(ARGV[2])}
`)

// agentsScript lists the online and away agents. ARGV: now. Returns a
// flat list of agent id, status pairs in agent id order.
var agentsScript = redis.NewScript(scriptPrelude + `
local out = {}
for _, agent in ipairs(liveAgents()) do
  out[#out + 1] = agent
  if redis.call('SISMEMBER', away, agent) == 1 then
    out[#out + 1] = 'away'
  else
    out[#out + 1] = 'online'
  end
end
return out
`)

// nextAgentScript picks the online agent after the last one picked, in
// byte order, wrapping around, and records it. ARGV: now, gc ms. Returns
// the agent id, or "" when none is online.
var nextAgentScript = redis.NewScript(scriptPrelude + `
local online = {}
for _, agent in ipairs(liveAgents()) do
  if redis.call('SISMEMBER', away, agent) == 0 then online[#online + 1] = agent end
end
if #online == 0 then return '' end
local prev = redis.call('GET', last)
local pick = online[1]
if prev then
  for _, agent in ipairs(online) do
    if less(prev, agent) then
      pick = agent
      break
    end
  end
end
redis.call('SET', last, pick, 'PX', ARGV[2])
return pick
`)

// beatScript rewrites a node's entries: its deadline and exactly the agents
// listed (none withdraws the node), and deletes dead nodes' entries.
// ARGV: now, deadline, node, gc ms, agents… Returns 1.
var beatScript = redis.NewScript(scriptPrelude + `
local me = ARGV[3]
redis.call('ZREMRANGEBYSCORE', nodes, '-inf', ARGV[1])
local want = {}
for i = 5, #ARGV do want[ARGV[i]] = true end
if #ARGV >= 5 then
  redis.call('ZADD', nodes, ARGV[2], me)
else
  redis.call('ZREM', nodes, me)
end
local live = {}
for _, n in ipairs(redis.call('ZRANGE', nodes, 0, -1)) do live[n] = true end
for _, m in ipairs(redis.call('ZRANGE', conns, 0, -1)) do
  local i = string.find(m, '\0', 1, true)
  if not i then
    redis.call('ZREM', conns, m)
  else
    local node = string.sub(m, i + 1)
    if not live[node] or (node == me and not want[string.sub(m, 1, i - 1)]) then
      redis.call('ZREM', conns, m)
    end
  end
end
for i = 5, #ARGV do redis.call('ZADD', conns, 0, ARGV[i] .. '\0' .. me) end
for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[4]) end
return 1
`)
