-- ARGV: ns, id, now, info (JSON) to register it anew if it was removed meanwhile.
local k = P .. ':worker:' .. ARGV[2]
if redis.call('EXISTS', k) == 1 then
  redis.call('HSET', k, 'heartbeat_at', ARGV[3])
  if redis.call('HGET', k, 'stop') == '1' then return 1 end
  return 0
end
redis.call('HSET', k, 'info', ARGV[4], 'started_at', ARGV[3], 'heartbeat_at', ARGV[3],
  'stop', '0', 'order', redis.call('INCR', P .. ':worker_order'))
redis.call('SADD', P .. ':workers', ARGV[2])
return 0
