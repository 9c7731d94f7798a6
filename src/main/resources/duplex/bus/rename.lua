-- KEYS: members, channel. ARGV: node, member id, name, previous name.
redis.call('HSET', KEYS[1], ARGV[2], ARGV[1] .. '\n' .. ARGV[3])
redis.call('PUBLISH', KEYS[2], 'R\n' .. ARGV[1] .. '\n' .. ARGV[2] .. '\n' .. ARGV[3] .. '\n' .. ARGV[4])
return 1
