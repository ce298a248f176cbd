-- ARGV: ns, call id, a JSON array of the field names, a JSON array of jobs: each an
-- array of 1 (ready now) or 0, then the fields' values in that order (text, or null
-- for an absent field); then, unless the jobs are plain, a record (records.enqueue):
-- 'edges', for jobs that wait for others, each [id waited for, id of the waiting job];
-- 'keys', for jobs with a unique key, each [position in the batch, key, check?];
-- 'expiring', each [id, expires_at] (the index of jobs that may expire, P:expiring). All or
-- nothing: a job waited for that is neither stored nor in the batch refuses it. A
-- retried call (same call id) is not a duplicate. The index writes go in one call per
-- key (see flush in lib.lua). Returns {'ok', then each duplicate's position and the id
-- of the job it is a duplicate of}.
local call, names, jobs_in = ARGV[2], cjson.decode(ARGV[3]), cjson.decode(ARGV[4])
local extra = ARGV[5] and cjson.decode(ARGV[5]) or {}
local edges, keys = extra.edges or {}, extra.keys or {}
local at = {} -- field name -> position in a job's array
for n, name in ipairs(names) do at[name] = n + 1 end
local ID, QUEUE, STATE, SCORE, NEXT = at.id, at.queue, at.state, at.score, at.next_run_at
local CREATED = at.created_at
local UNIQUE = P .. ':unique' -- unique key -> id of the job stored last with it

-- The answer to a retried call whose first try stored the jobs: the jobs with a key
-- that were not stored were the duplicates of the jobs their keys name.
local function retried()
  local answer = {'ok'}
  for _, entry in ipairs(keys) do
    if redis.call('EXISTS', job_key(jobs_in[entry[1]][ID])) == 0 then
      answer[#answer + 1] = entry[1]
      answer[#answer + 1] = redis.call('HGET', UNIQUE, entry[2]) or ''
    end
  end
  return answer
end

for _, job in ipairs(jobs_in) do
  local found = redis.call('HMGET', job_key(job[ID]), 'enq', 'id')
  if found[1] == call then return retried() end
  if found[2] then return {'dup', job[ID]} end
end
-- unique keys, in batch order: a job whose check holds for the key's job is skipped;
-- the others name their key (written once nothing can refuse the batch any more)
local answer, skipped, named = {'ok'}, {}, {}
if keys[1] then
  local accepted, taken = {}, {} -- id -> job of the batch that took a key; key -> its id
  for _, entry in ipairs(keys) do
    local job, key, check = jobs_in[entry[1]], entry[2], entry[3]
    local holder = check and (taken[key] or redis.call('HGET', UNIQUE, key))
    local state, created
    if holder and accepted[holder] then
      state, created = accepted[holder][STATE], accepted[holder][CREATED]
    elseif holder then
      local f = redis.call('HMGET', job_key(holder), 'state', 'created_at')
      state, created = f[1], f[2]
    end
    local holds, made = false, tonumber(created)
    if state and (not check.since or (made and made >= tonumber(check.since))) then
      for _, s in ipairs(check.states) do holds = holds or s == state end
    end
    if holds then
      skipped[job[ID]] = true
      answer[#answer + 1] = entry[1]
      answer[#answer + 1] = holder
    else
      named[#named + 1] = key
      named[#named + 1] = job[ID]
      taken[key], accepted[job[ID]] = job[ID], job
    end
  end
  if #answer > 1 then
    local kept = {}
    for _, job in ipairs(jobs_in) do
      if not skipped[job[ID]] then kept[#kept + 1] = job end
    end
    jobs_in = kept
  end
end
if #jobs_in == 0 then return answer end
if edges[1] then
  local batch = {}
  for _, job in ipairs(jobs_in) do batch[job[ID]] = true end
  for _, edge in ipairs(edges) do
    if not skipped[edge[2]] and not batch[edge[1]]
      and redis.call('EXISTS', job_key(edge[1])) == 0 then
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
for _, e in ipairs(extra.expiring or {}) do
  if not skipped[e[1]] then zadd_later(P .. ':expiring', e[2], e[1]) end
end
for _, edge in ipairs(edges) do -- see track() in lib.lua
  if not skipped[edge[2]] then
    local parent = job_key(edge[1])
    later('SADD', P .. ':dependents:' .. edge[1], edge[2])
    local f = redis.call('HMGET', parent, 'state', 'dependents')
    if f[2] ~= '1' then redis.call('HSET', parent, 'dependents', '1') end
    if FINAL[f[1]] then later('SADD', P .. ':unsettled', edge[1]) end
  end
end
for first = 1, #named, ARGS_PER_CALL do
  redis.call('HSET', UNIQUE, unpack(named, first, math.min(first + ARGS_PER_CALL - 1, #named)))
end
wake() -- also for jobs due later: a sleeping worker then re-reads when to wake up
return answer
