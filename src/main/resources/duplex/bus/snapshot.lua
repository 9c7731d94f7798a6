-- KEYS: seq, log, members, epoch. ARGV: history size, node key prefix, a new epoch, ttl.
-- Returns {seq, {id, {'b', body}}..., {id, value, ...}, epoch} with only the members of live nodes.
-- A room with no seq starts a new sequence, so it takes the new epoch; one with a seq keeps its
-- epoch (or takes the new one if it has none, as a room written by an older version).
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local epoch = redis.call('GET', KEYS[4])
if seq == 0 or not epoch then
  epoch = ARGV[3]
  redis.call('SET', KEYS[4], epoch, 'EX', ARGV[4])
end
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
return {seq, log, live, epoch}
