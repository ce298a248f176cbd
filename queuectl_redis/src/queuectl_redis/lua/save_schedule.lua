-- ARGV: ns, a schedule record (JSON): name, definition, now, and when set
-- next_run_at, last_run_at, last_job_id. Stores the schedule, replacing one of that
-- name but keeping its last run; 1 if it is new. A saved schedule makes the namespace
-- exist, as init does.
local r = cjson.decode(ARGV[2])
local k = schedule_key(r.name)
local new = redis.call('EXISTS', k) == 0
redis.call('HSET', k, 'definition', r.definition)
if new then
  if r.last_run_at then redis.call('HSET', k, 'last_run_at', r.last_run_at) end
  if r.last_job_id then redis.call('HSET', k, 'last_job_id', r.last_job_id) end
  redis.call('SADD', P .. ':schedules', r.name)
end
set_next_run(k, r.name, r.next_run_at)
redis.call('SET', P .. ':created', r.now, 'NX')
if new then return 1 end
return 0
