-- KEYS: seq, log, members. ARGV: history size, node key prefix.
-- Returns {seq, {id, {'b', body}}..., {id, value, ...}} with only the members of live nodes.
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local log = {}
if tonumber(ARGV[1]) > 0 then
  log = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[1])
end
local all = redis.call('HGETALL', KEYS[3])
local live = {}
for i = 1, #all, 2 do
  local node = string.match(all[i + 1], '^([^\n]*)\n')
  if node and redis.call('EXISTS', ARGV[2] .. node) == 1 then
    live[#live + 1] = all[i]
    live[#live + 1] = all[i + 1]
  end
end
return {seq, log, live}
