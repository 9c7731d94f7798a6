-- KEYS: members, channel. ARGV: node, member id, name.
if redis.call('HDEL', KEYS[1], ARGV[2]) == 1 then
  redis.call('PUBLISH', KEYS[2], 'L\n' .. ARGV[1] .. '\n' .. ARGV[2] .. '\n' .. ARGV[3])
end
return 1
