-- ARGV: ns, a release record (records.release): now, and what core decided a released
-- job becomes: state and ready (claimable at once, or scheduled); then id and token of
-- each claimed job to give back unstarted, in its old place (due time and enqueue
-- order kept), its attempt refunded and that attempt's record deleted.
local r = cjson.decode(ARGV[2])
local now, state, released, any = r.now, r.state, {}, false
for n = 3, #ARGV, 2 do
  local id, token = ARGV[n], ARGV[n + 1]
  local k = job_key(id)
  local f = redis.call('HMGET', k, 'state', 'token', 'queue', 'seq', 'attempts', 'worker_id',
    'last_attempt', 'next_run_at')
  released[#released + 1] = 0
  if f[1] == 'processing' and f[2] == token then
    redis.call('DEL', attempt_key(id, f[7]))
    redis.call('HSET', k, 'state', state, 'attempts', math.max(tonumber(f[5]) - 1, 0),
      'last_attempt', tonumber(f[7]) - 1, 'updated_at', now)
    redis.call('HDEL', k, 'worker_id', 'token', 'lease_expires_at')
    redis.call('ZREM', P .. ':leases', id)
    redis.call('SREM', P .. ':held:' .. f[6], id)
    move(id, f[3], f[4], 'processing', state, now)
    if WAITING[state] and wait(k, id, f[3], f[4], f[8], r.ready) then any = true end
    released[#released] = 1
  end
end
if any then wake() end
return released
