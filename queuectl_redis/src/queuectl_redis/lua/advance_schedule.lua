-- ARGV: ns, a record (JSON): name, and when set expected, next_run_at, last_run_at
-- and last_job_id. If the schedule exists and its next_run_at is expected (absent
-- matches absent), sets next_run_at and, when given, the last run: 1; else 0.
local r = cjson.decode(ARGV[2])
local k = schedule_key(r.name)
if redis.call('EXISTS', k) == 0 then return 0 end
local current = redis.call('HGET', k, 'next_run_at')
if r.expected == nil then
  if current then return 0 end
elseif not current or tonumber(current) ~= tonumber(r.expected) then
  return 0
end
set_next_run(k, r.name, r.next_run_at)
if r.last_job_id then
  redis.call('HSET', k, 'last_run_at', r.last_run_at, 'last_job_id', r.last_job_id)
end
return 1
