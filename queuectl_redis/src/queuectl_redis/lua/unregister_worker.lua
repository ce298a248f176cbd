-- ARGV: ns, id.
redis.call('DEL', P .. ':worker:' .. ARGV[2])
redis.call('SREM', P .. ':workers', ARGV[2])
return 1
