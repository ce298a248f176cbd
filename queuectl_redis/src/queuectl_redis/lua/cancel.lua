-- ARGV: ns, id, now, the state an unknown one counts as.
local id, now = ARGV[2], ARGV[3]
local k = job_key(id)
local f = redis.call('HMGET', k, 'state', 'queue', 'seq', 'worker_id', 'last_attempt')
if not f[1] then return {'missing', id} end
local state = acts_as(f[1], ARGV[4])
if not CANCELLABLE[state] then return {'state', id, state} end
if f[1] == 'processing' then
  redis.call('HSET', attempt_key(id, f[5]), 'outcome', 'cancelled', 'finished_at', now,
    'error', 'cancelled')
  redis.call('ZREM', P .. ':leases', id)
  redis.call('SREM', P .. ':held:' .. f[4], id)
  redis.call('HDEL', k, 'worker_id', 'token', 'lease_expires_at')
else
  unwait(k, id, f[2])
end
redis.call('HSET', k, 'state', 'cancelled', 'updated_at', now)
move(id, f[2], f[3], indexed_state(id, f[1]), 'cancelled')
return {'ok', redis.call('HGETALL', k)}
