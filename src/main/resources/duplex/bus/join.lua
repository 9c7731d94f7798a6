-- KEYS: members, channel. ARGV: node, member id, name. Announces only a real change.
local value = ARGV[1] .. '\n' .. ARGV[3]
if redis.call('HGET', KEYS[1], ARGV[2]) ~= value then
  redis.call('HSET', KEYS[1], ARGV[2], value)
  redis.call('PUBLISH', KEYS[2], 'J\n' .. ARGV[1] .. '\n' .. ARGV[2] .. '\n' .. ARGV[3])
end
return 1
