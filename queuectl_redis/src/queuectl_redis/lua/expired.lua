-- ARGV: ns, now, limit: processing jobs whose lease ended before now.
return jobs(redis.call('ZRANGEBYSCORE', P .. ':leases', '-inf', '(' .. ARGV[2],
  'LIMIT', 0, tonumber(ARGV[3])))
