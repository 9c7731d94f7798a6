-- KEYS: lease. ARGV: node. Frees the lease only if this node holds it.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
