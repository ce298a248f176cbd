-- ARGV: ns, a retry record (records.retry): now, unknown_as (the state an unknown one
-- counts as), and what core decided a retried job becomes: state, next_run_at and
-- ready (claimable at once, or scheduled); then ids (all or nothing), or none: up to
-- BATCH dead jobs.
local r = cjson.decode(ARGV[2])
local now, state, ids = r.now, r.state, {}
if #ARGV > 2 then
  for n = 3, #ARGV do ids[#ids + 1] = ARGV[n] end
  local refused = check(ids, {dead = true}, r.unknown_as)
  if refused then return refused end
else
  ids = redis.call('ZRANGE', P .. ':state:dead', 0, BATCH - 1)
end
for _, id in ipairs(ids) do
  local k = job_key(id)
  local f = redis.call('HMGET', k, 'queue', 'seq', 'state', 'dependents')
  unwait(k, id, f[1]) -- a stale entry of a state written behind queuectl's back
  redis.call('HSET', k, 'state', state, 'attempts', 0, 'next_run_at', r.next_run_at,
    'updated_at', now)
  move(id, f[1], f[2], indexed_state(id, f[3]), state, now)
  if f[4] then track(k, id, f[4], state) end
  if WAITING[state] then wait(k, id, f[1], f[2], r.next_run_at, r.ready) end
end
if ids[1] then wake() end
return {'ok', ids}
