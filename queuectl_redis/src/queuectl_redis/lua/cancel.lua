-- ARGV: ns, a cancel record (records.cancel): id, now, reason (the job's last_error and
-- its open attempt's error) and unknown_as (the state an unknown one counts as).
local c = cjson.decode(ARGV[2])
local id, now = c.id, c.now
local k = job_key(id)
local f = redis.call('HMGET', k, 'state', 'queue', 'seq', 'worker_id', 'last_attempt',
  'dependents')
if not f[1] then return {'missing', id} end
local state = acts_as(f[1], c.unknown_as)
if not CANCELLABLE[state] then return {'state', id, state} end
if f[1] == 'processing' then
  redis.call('HSET', attempt_key(id, f[5]), 'outcome', 'cancelled', 'finished_at', now,
    'error', c.reason)
  redis.call('ZREM', P .. ':leases', id)
  redis.call('SREM', P .. ':held:' .. f[4], id)
  redis.call('HDEL', k, 'worker_id', 'token', 'lease_expires_at')
else
  unwait(k, id, f[2])
end
redis.call('HSET', k, 'state', 'cancelled', 'updated_at', now, 'last_error', c.reason)
move(id, f[2], f[3], indexed_state(id, f[1]), 'cancelled', now)
if f[6] then track(k, id, f[6], 'cancelled') end
return {'ok', redis.call('HGETALL', k)}
