-- The heartbeat of one room. KEYS: members, channel. ARGV: node, node key prefix, ttl, then
-- id, name pairs of this node's members. Re-announces this node's members (after Redis lost
-- them), removes its stale ones, removes the members of dead nodes, each change published
-- once. Returns the remaining members (flat id, value pairs). The node keys it checks are
-- not declared in KEYS: fine on one Redis (not Redis Cluster).
local node = ARGV[1]
local mine = {}
for i = 4, #ARGV, 2 do mine[ARGV[i]] = ARGV[i + 1] end
local all = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #all, 2 do
  local id, value = all[i], all[i + 1]
  local owner, name = string.match(value, '^([^\n]*)\n(.*)$')
  local keep = true
  if owner == node then
    keep = mine[id] ~= nil
  elseif owner == nil or redis.call('EXISTS', ARGV[2] .. owner) == 0 then
    keep = false
  end
  if keep then
    live[id] = value
  else
    redis.call('HDEL', KEYS[1], id)
    redis.call('PUBLISH', KEYS[2], 'L\n' .. (owner or '') .. '\n' .. id .. '\n' .. (name or ''))
  end
end
for id, name in pairs(mine) do
  local value = node .. '\n' .. name
  if live[id] ~= value then
    redis.call('HSET', KEYS[1], id, value)
    redis.call('PUBLISH', KEYS[2], 'J\n' .. node .. '\n' .. id .. '\n' .. name)
    live[id] = value
  end
end
local out = {}
for id, value in pairs(live) do
  out[#out + 1] = id
  out[#out + 1] = value
end
return out
