-- ARGV: ns, a settle record (records.settle): id, seen (its state as core saw it), now,
-- and moves, each {id, source, target, error (absent: none), ready (a job that becomes
-- pending is due at once)}: what core decided about the jobs that wait for job id.
-- Applies them if job id is still in state seen (else answers nil), each only if its
-- job is still in state source, and settles job id if it has ended (see track()).
-- Returns whether each move applied, as one text of '1' and '0'.
local s = cjson.decode(ARGV[2])
local k = job_key(s.id)
if redis.call('HGET', k, 'state') ~= s.seen then return false end
local applied, woke = {}, false
for n, m in ipairs(s.moves) do
  local mk = job_key(m.id)
  local f = redis.call('HMGET', mk, 'state', 'queue', 'seq', 'next_run_at', 'dependents')
  applied[n] = '0'
  if f[1] and f[1] == m.source then
    applied[n] = '1'
    redis.call('HSET', mk, 'state', m.target, 'updated_at', s.now)
    if m.error then
      redis.call('HSET', mk, 'last_error', m.error)
    else
      redis.call('HDEL', mk, 'last_error')
    end
    if WAITING[m.source] then unwait(mk, m.id, f[2]) end
    if m.source ~= m.target then move(m.id, f[2], f[3], m.source, m.target, s.now) end
    if f[5] then track(mk, m.id, f[5], m.target) end
    if WAITING[m.target] and wait(mk, m.id, f[2], f[3], f[4], m.ready) then woke = true end
  end
end
if FINAL[s.seen] and redis.call('HGET', k, 'dependents') == '1' then
  redis.call('HSET', k, 'dependents', '0')
  later('SREM', P .. ':unsettled', s.id)
end
if woke then wake() end
return {table.concat(applied)}
