-- ARGV: ns, id, info (JSON), started_at, heartbeat_at, stop (0/1).
local k = P .. ':worker:' .. ARGV[2]
redis.call('DEL', k)
redis.call('HSET', k, 'info', ARGV[3], 'started_at', ARGV[4], 'heartbeat_at', ARGV[5],
  'stop', ARGV[6], 'order', redis.call('INCR', P .. ':worker_order'))
redis.call('SADD', P .. ':workers', ARGV[2])
return 1
