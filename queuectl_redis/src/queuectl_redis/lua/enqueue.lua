-- ARGV: ns, call id, a JSON array of the field names, a JSON array of jobs: each an
-- array of 1 (ready now) or 0, then the fields' values in that order (text, or null
-- for an absent field); for jobs that wait for others, a dependencies record
-- (records.dependencies): edges, each [id waited for, id of the waiting job], and
-- expiring, each [id, expires_at] (the index of jobs that may expire, P:expiring). All or
-- nothing: a job waited for that is neither stored nor in the batch refuses it. A
-- retried call (same call id) is not a duplicate. The index writes go in one call per
-- key (see flush in lib.lua).
local call, names, jobs_in = ARGV[2], cjson.decode(ARGV[3]), cjson.decode(ARGV[4])
local extra = ARGV[5] and cjson.decode(ARGV[5]) or {}
local edges = extra.edges or {}
local at = {} -- field name -> position in a job's array
for n, name in ipairs(names) do at[name] = n + 1 end
local ID, QUEUE, STATE, SCORE, NEXT = at.id, at.queue, at.state, at.score, at.next_run_at
for _, job in ipairs(jobs_in) do
  local found = redis.call('HMGET', job_key(job[ID]), 'enq', 'id')
  if found[1] == call then return {'ok'} end
  if found[2] then return {'dup', job[ID]} end
end
if #jobs_in == 0 then return {'ok'} end
if edges[1] then
  local batch = {}
  for _, job in ipairs(jobs_in) do batch[job[ID]] = true end
  for _, edge in ipairs(edges) do
    if not batch[edge[1]] and redis.call('EXISTS', job_key(edge[1])) == 0 then
      return {'missing', edge[1]}
    end
  end
end
local last = redis.call('INCRBY', P .. ':seq', #jobs_in)
local queues = {}
for n, job in ipairs(jobs_in) do
  local id, queue, state = job[ID], job[QUEUE], job[STATE]
  local k, seq = job_key(id), last - #jobs_in + n
  local fields = {'seq', seq, 'enq', call}
  for f, name in ipairs(names) do
    local value = job[f + 1]
    if value ~= cjson.null then fields[#fields + 1], fields[#fields + 2] = name, value end
  end
  local m
  if WAITING[state] then
    m = member(job[NEXT], seq, id)
    fields[#fields + 1], fields[#fields + 2] = 'member', m
  end
  redis.call('HSET', k, unpack(fields))
  zadd_later(P .. ':jobs', seq, id)
  zadd_later(P .. ':queue:' .. queue, seq, id)
  if not queues[queue] then
    queues[queue] = true
    later('SADD', P .. ':queues', queue)
  end
  index(id, queue, state, seq)
  if m then enter_waiting(k, id, queue, m, job[NEXT], job[1] == 1, job[SCORE]) end
end
for _, e in ipairs(extra.expiring or {}) do zadd_later(P .. ':expiring', e[2], e[1]) end
for _, edge in ipairs(edges) do -- see track() in lib.lua
  local parent = job_key(edge[1])
  later('SADD', P .. ':dependents:' .. edge[1], edge[2])
  local f = redis.call('HMGET', parent, 'state', 'dependents')
  if f[2] ~= '1' then redis.call('HSET', parent, 'dependents', '1') end
  if FINAL[f[1]] then later('SADD', P .. ':unsettled', edge[1]) end
end
wake() -- also for jobs due later: a sleeping worker then re-reads when to wake up
return {'ok'}
