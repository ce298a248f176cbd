-- ARGV: ns, worker id.
return jobs(redis.call('SMEMBERS', P .. ':held:' .. ARGV[2]))
