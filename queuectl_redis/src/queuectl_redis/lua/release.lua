-- ARGV: ns, now, then id and token of each claimed job to give back unstarted: back to
-- pending in its old place, its attempt refunded and that attempt's record deleted.
local now, released, any = ARGV[2], {}, false
for n = 3, #ARGV, 2 do
  local id, token = ARGV[n], ARGV[n + 1]
  local k = job_key(id)
  local f = redis.call('HMGET', k, 'state', 'token', 'queue', 'seq', 'attempts', 'worker_id',
    'last_attempt', 'next_run_at')
  released[#released + 1] = 0
  if f[1] == 'processing' and f[2] == token then
    redis.call('DEL', attempt_key(id, f[7]))
    redis.call('HSET', k, 'state', 'pending', 'attempts', math.max(tonumber(f[5]) - 1, 0),
      'last_attempt', tonumber(f[7]) - 1, 'updated_at', now)
    redis.call('HDEL', k, 'worker_id', 'token', 'lease_expires_at')
    redis.call('ZREM', P .. ':leases', id)
    redis.call('SREM', P .. ':held:' .. f[6], id)
    move(id, f[3], f[4], 'processing', 'pending')
    any = wait(k, id, f[3], f[4], f[8], tonumber(f[8]) <= tonumber(now)) or any
    released[#released] = 1
  end
end
if any then wake() end
return released
