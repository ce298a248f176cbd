-- ARGV: ns, now, the state an unknown one counts as, then ids (all or nothing), or
-- none: up to BATCH dead jobs.
local now, unknown_as, ids = ARGV[2], ARGV[3], {}
if #ARGV > 3 then
  for n = 4, #ARGV do ids[#ids + 1] = ARGV[n] end
  local refused = check(ids, {dead = true}, unknown_as)
  if refused then return refused end
else
  ids = redis.call('ZRANGE', P .. ':state:dead', 0, BATCH - 1)
end
for _, id in ipairs(ids) do
  local k = job_key(id)
  local f = redis.call('HMGET', k, 'queue', 'seq', 'state')
  unwait(k, id, f[1]) -- a stale entry of a state written behind queuectl's back
  redis.call('HSET', k, 'state', 'pending', 'attempts', 0, 'next_run_at', now, 'updated_at', now)
  move(id, f[1], f[2], indexed_state(id, f[3]), 'pending')
  wait(k, id, f[1], f[2], now, true)
end
if ids[1] then wake() end
return {'ok', ids}
