-- KEYS: seq, log, channel, epoch. ARGV: floor (the last seq this node saw), body, history size, ttl.
-- The floor keeps seq increasing for everyone who was connected even if Redis lost its data.
local seq = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[1])
if seq <= floor then
  seq = floor + 1
  redis.call('SET', KEYS[1], seq)
end
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], seq .. '-0', 'b', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('EXPIRE', KEYS[4], ARGV[4])
redis.call('PUBLISH', KEYS[3], 'P\n' .. seq .. '\n' .. ARGV[2])
return seq
