-- ARGV: ns, now, then ids (all or nothing), or none: up to BATCH dead jobs.
local now, ids = ARGV[2], {}
if #ARGV > 2 then
  for n = 3, #ARGV do ids[#ids + 1] = ARGV[n] end
  local refused = check(ids, {dead = true})
  if refused then return refused end
else
  ids = redis.call('ZRANGE', P .. ':state:dead', 0, BATCH - 1)
end
for _, id in ipairs(ids) do
  local k = job_key(id)
  local f = redis.call('HMGET', k, 'queue', 'seq')
  redis.call('HSET', k, 'state', 'pending', 'attempts', 0, 'next_run_at', now, 'updated_at', now)
  move(id, f[1], f[2], 'dead', 'pending')
  wait(k, id, f[1], f[2], now, true)
end
if ids[1] then wake() end
return {'ok', ids}
