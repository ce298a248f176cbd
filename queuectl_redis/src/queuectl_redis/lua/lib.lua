-- Shared by every script (prepended to each). ARGV[1] is the namespace "{prefix}";
-- every key is built from it, so all keys share one hash tag (one cluster slot).
-- Floats arrive as text and are stored as text: Lua never formats a float.
-- What Python decided (a finish's transition, a claim, what a released or retried job
-- becomes) arrives as a named record, a JSON object (see records.py), in which an
-- absent field is an absent value; elsewhere optional values arrive as '' (none) or
-- '=' .. value.
local P = ARGV[1]
-- BATCH, WAITING (core's READY_STATES, the states of jobs waiting for their turn; not
-- the state 'waiting' of jobs waiting for others), KNOWN (every state), CANCELLABLE,
-- FINAL (core's FINAL_STATES) and CLAIM_FIELDS are defined above this file by
-- scripts.py (constants), from the Python definitions: the scripts keep no copy of them.
local PROMOTE = 1000 -- scheduled jobs made ready per claim at most

local function job_key(id) return P .. ':job:' .. id end
local function attempt_key(id, n) return P .. ':attempt:' .. id .. ':' .. n end
local function opt(v) if v == '' then return nil end return string.sub(v, 2) end

local function set_opt(k, field, v)
  if v == '' then redis.call('HDEL', k, field) else redis.call('HSET', k, field, string.sub(v, 2)) end
end

local function wake() redis.call('PUBLISH', P .. ':wake', '1') end

local function settings_version()
  return tonumber(redis.call('GET', P .. ':settings_version') or '0')
end

-- buffered index writes --------------------------------------------------------------

-- Writes to the indexes (sorted sets, sets, the counts hash) wait in a buffer until
-- flush(): then each key gets one ZADD/ZREM/SADD/SREM with every member, and each
-- count one HINCRBY, instead of several calls per job. Every script ends with flush()
-- (scripts.py wraps each one); a script that reads an index it changed flushes first.
-- Per key the buffer keeps the order of the writes; writes to different keys commute.
local ARGS_PER_CALL = 4000 -- unpack() takes at most about 8000 values
local batches, last_batch, deltas, delta_fields = {}, {}, {}, {}

local function batch_for(command, key)
  local batch = last_batch[key]
  if batch == nil or batch.command ~= command then
    batch = {command = command, key = key, n = 0}
    batches[#batches + 1] = batch
    last_batch[key] = batch
  end
  return batch
end

local function later(command, key, member) -- ZREM, SADD, SREM
  local batch = batch_for(command, key)
  batch.n = batch.n + 1
  batch[batch.n] = member
end

local function zadd_later(key, score, member)
  local batch = batch_for('ZADD', key)
  batch[batch.n + 1], batch[batch.n + 2] = score, member
  batch.n = batch.n + 2
end

local function flush()
  for _, batch in ipairs(batches) do
    for first = 1, batch.n, ARGS_PER_CALL do
      redis.call(batch.command, batch.key,
        unpack(batch, first, math.min(first + ARGS_PER_CALL - 1, batch.n)))
    end
  end
  for _, field in ipairs(delta_fields) do
    local delta = deltas[field]
    if delta ~= 0 and redis.call('HINCRBY', P .. ':counts', field, delta) <= 0 then
      redis.call('HDEL', P .. ':counts', field)
    end
  end
  batches, last_batch, deltas, delta_fields = {}, {}, {}, {}
end

-- counts and the list indexes -------------------------------------------------------

local function count(queue, state, delta)
  local field = queue .. '\0' .. state
  local now = deltas[field]
  if now == nil then
    delta_fields[#delta_fields + 1] = field
    now = 0
  end
  deltas[field] = now + delta
end

-- A job in a FINAL state is also in P:ended:<state>, scored by when it got there
-- (at): what a retention sweep purges, oldest first, without scanning the others.
local function index(id, queue, state, seq, at)
  zadd_later(P .. ':state:' .. state, seq, id)
  zadd_later(P .. ':sq:' .. state .. ':' .. queue, seq, id)
  if FINAL[state] then zadd_later(P .. ':ended:' .. state, at, id) end
  count(queue, state, 1)
end

local function unindex(id, queue, state)
  later('ZREM', P .. ':state:' .. state, id)
  later('ZREM', P .. ':sq:' .. state .. ':' .. queue, id)
  if FINAL[state] then later('ZREM', P .. ':ended:' .. state, id) end
  count(queue, state, -1)
end

-- at: the time of the move (the job's new updated_at).
local function move(id, queue, seq, from, to, at)
  if from then unindex(id, queue, from) end
  index(id, queue, to, seq, at)
end

-- The state whose indexes hold job id: its stored state, or for one queuectl does not
-- know (written behind its back) the state it was indexed under, or nil.
local function indexed_state(id, state)
  if KNOWN[state] then return state end
  for known in pairs(KNOWN) do
    if redis.call('ZSCORE', P .. ':state:' .. known, id) then return known end
  end
  return nil
end

-- waiting jobs: ready (due) or scheduled (not yet) ----------------------------------

-- A ready set orders by score (-priority), then by member: due time in microseconds
-- and seq, both zero-padded, so equal priorities sort by due time, then enqueue order.
local MEMBER_PREFIX = 30 -- 17 digits + 12 digits + ':'
local function member(next_run_at, seq, id)
  local micros = math.min(math.max(0, tonumber(next_run_at) * 1000000), 99999999999999999)
  return string.format('%017.0f%012d:', micros, tonumber(seq)) .. id
end
local function member_id(m) return string.sub(m, MEMBER_PREFIX + 1) end
local function precedes(a, b) -- by due time, then seq; compared as numbers, not by locale
  local ta, tb = tonumber(string.sub(a, 1, 17)), tonumber(string.sub(b, 1, 17))
  if ta ~= tb then return ta < tb end
  return tonumber(string.sub(a, 18, 29)) < tonumber(string.sub(b, 18, 29))
end

-- Job id (whose hash holds member m already) starts waiting; returns whether it is
-- ready now. score is the hash's (-priority), read when not given.
local function enter_waiting(k, id, queue, m, next_run_at, ready_now, score)
  zadd_later(P .. ':waiting:' .. queue, next_run_at, id)
  if ready_now then
    zadd_later(P .. ':ready:' .. queue, score or redis.call('HGET', k, 'score'), m)
  else
    zadd_later(P .. ':scheduled', next_run_at, m)
  end
  return ready_now
end

-- A pending or failed job starts waiting; returns whether it is ready now.
local function wait(k, id, queue, seq, next_run_at, ready_now)
  local m = member(next_run_at, seq, id)
  redis.call('HSET', k, 'member', m)
  return enter_waiting(k, id, queue, m, next_run_at, ready_now)
end

local function unwait(k, id, queue)
  local m = redis.call('HGET', k, 'member')
  if m then
    later('ZREM', P .. ':ready:' .. queue, m)
    later('ZREM', P .. ':scheduled', m)
    redis.call('HDEL', k, 'member')
  end
  later('ZREM', P .. ':waiting:' .. queue, id)
end

-- jobs that wait for others ---------------------------------------------------------

-- A job's 'dependents' field is absent while no job waits for it (P:dependents:<id> is
-- the set of those that do), '1' while they are to be settled when it ends (or now, if
-- it has ended: then it is in the set P:unsettled), '0' once they are. Every change of
-- state of a job with the field calls track(k, id, its value, the new state).
local function track(k, id, flag, state)
  if FINAL[state] then
    if flag == '1' then later('SADD', P .. ':unsettled', id) end
  else -- not ended (again): its dependents are to be settled at its next end
    if flag == '0' then redis.call('HSET', k, 'dependents', '1') end
    later('SREM', P .. ':unsettled', id)
  end
end

-- claim and finish -------------------------------------------------------------------

-- queues without the closed ones: paused (fields of the hash P:paused) or at their
-- concurrency limit (P:limits: queue -> N, against the queue's processing count); and
-- the room left in each limited open queue. Both hashes are empty, one cheap call
-- each, when no queue is paused or limited: claims and next_due never see a closed queue.
local function open_queues(queues)
  local paused = redis.call('HKEYS', P .. ':paused')
  local limits = redis.call('HGETALL', P .. ':limits')
  local room = {}
  if #paused == 0 and #limits == 0 then return queues, room end
  local closed, open = {}, {}
  for _, queue in ipairs(paused) do closed[queue] = true end
  for i = 1, #limits, 2 do
    local queue = limits[i]
    local processing = tonumber(redis.call('HGET', P .. ':counts', queue .. '\0processing') or '0')
    local left = tonumber(limits[i + 1]) - processing
    if left <= 0 then closed[queue] = true else room[queue] = left end
  end
  for _, queue in ipairs(queues) do
    if not closed[queue] then open[#open + 1] = queue end
  end
  return open, room
end

local function promote(now)
  local due = redis.call('ZRANGEBYSCORE', P .. ':scheduled', '-inf', now, 'LIMIT', 0, PROMOTE)
  for _, m in ipairs(due) do
    local f = redis.call('HMGET', job_key(member_id(m)), 'queue', 'score')
    later('ZREM', P .. ':scheduled', m)
    if f[1] then zadd_later(P .. ':ready:' .. f[1], f[2], m) end
  end
  flush() -- claim reads the ready sets next
end

-- Lease job id (ready in queue) to worker; returns its attempt number, its attempts, 1
-- if jobs wait for it (else 0) and the values of the CLAIM_FIELDS (false where absent):
-- what take() sets itself the caller knows. Removing its member from the ready set is left to the caller.
-- What the previous attempt reported of itself (progress, timeout_extension) goes: read
-- with the rest, deleted only where present.
local function take(id, queue, worker, now, lease_until, token)
  local k = job_key(id)
  local f = redis.call('HMGET', k, 'state', 'seq', 'attempts', 'last_attempt', 'member',
    'dependents', 'progress', 'timeout_extension', unpack(CLAIM_FIELDS))
  if not WAITING[f[1]] then -- its hash was changed behind queuectl's back: not taken
    later('ZREM', P .. ':waiting:' .. queue, id)
    return nil
  end
  local number = tonumber(f[4] or '0') + 1
  local attempts = tonumber(f[3] or '0') + 1
  redis.call('HSET', k, 'state', 'processing', 'worker_id', worker, 'token', token,
    'lease_expires_at', lease_until, 'updated_at', now, 'last_attempt', number,
    'attempts', attempts)
  if f[5] or f[7] or f[8] then
    redis.call('HDEL', k, 'member', 'progress', 'timeout_extension')
  end
  later('ZREM', P .. ':waiting:' .. queue, id)
  move(id, queue, f[2], f[1], 'processing', now)
  zadd_later(P .. ':leases', lease_until, id)
  later('SADD', P .. ':held:' .. worker, id)
  redis.call('HSET', attempt_key(id, number), 'worker_id', worker, 'started_at', now,
    'outcome', 'running')
  local taken = {number, attempts, f[6] and 1 or 0}
  for n = 1, #CLAIM_FIELDS do taken[n + 3] = f[n + 8] end
  return taken
end

-- Each queue's ready members, best first, read a chunk at a time as a claim uses them.
local function candidates(queues)
  local lists = {}
  for q, queue in ipairs(queues) do
    lists[q] = {key = P .. ':ready:' .. queue, pos = 1, n = 0, fetched = 0}
  end
  local function fetch(list, size)
    local found = redis.call('ZRANGE', list.key, list.fetched, list.fetched + size - 1,
      'WITHSCORES')
    for i = 1, #found, 2 do
      list.n = list.n + 1
      list[list.n] = {found[i], tonumber(found[i + 1])}
    end
    list.fetched = list.fetched + size
    list.done = #found < 2 * size
  end
  -- the best unused member of list q, or nil; needing at most 'wanted' more
  return lists, function(q, wanted_now)
    local list = lists[q]
    if list.pos > list.n and not list.done then fetch(list, math.max(wanted_now, 1)) end
    return list[list.pos]
  end
end

-- c: a claim record (records.claim): worker, now, lease_until, token, limit and queues
-- (absent: every queue). Takes up to limit jobs, best first (claim n's token is token ..
-- '.' .. n); returns what take() returns for each.
local function claim(c)
  local worker, now, lease_until, token = c.worker, c.now, c.lease_until, c.token
  local limit, claimed = c.limit, {}
  if limit < 1 then return claimed end
  promote(now)
  local queues, room = open_queues(c.queues or redis.call('SMEMBERS', P .. ':queues'))
  local lists, best_of = candidates(queues)
  local n = 0
  while n < limit do
    local best, best_top
    for q = 1, #queues do
      local t = room[queues[q]] ~= 0 and best_of(q, limit - n) or nil
      if t and (best == nil or t[2] < best_top[2]
          or (t[2] == best_top[2] and precedes(t[1], best_top[1]))) then
        best, best_top = q, t
      end
    end
    if best == nil then break end
    lists[best].pos = lists[best].pos + 1
    later('ZREM', lists[best].key, best_top[1])
    local taken = take(member_id(best_top[1]), queues[best], worker, now, lease_until,
      token .. '.' .. (n + 1))
    if taken then
      n = n + 1
      claimed[n] = taken
      if room[queues[best]] then room[queues[best]] = room[queues[best]] - 1 end
    end
  end
  return claimed
end

-- The optional fields of a finish record that its attempt's record gets as they are.
local ATTEMPT_FIELDS = {'exit_code', 'error', 'started_at'}

-- t: a finish record (records.finish), in which an absent field is none, false or 0.
-- Whom: id, token and expired_by (a lease that expired by then). The transition core
-- decided: state, refund (undo the claim's attempt), next_run_at (absent: the job's
-- own) and ready (a waiting job is claimable at once, not scheduled). The attempt's
-- end: finished_at, outcome, error and result (the job's last_error and result, cleared
-- when absent), the ATTEMPT_FIELDS, stdout and stderr: the numbers of its outputs,
-- which output(n) reads, and stdout_dropped and stderr_dropped.
local function finish(t, output)
  local id, state = t.id, t.state
  local k = job_key(id)
  local f = redis.call('HMGET', k, 'state', 'token', 'lease_expires_at', 'queue', 'seq',
    'attempts', 'worker_id', 'last_attempt', 'next_run_at', 'dependents')
  if f[1] ~= 'processing' or f[2] ~= t.token then return false end
  if t.expired_by and tonumber(f[3]) > tonumber(t.expired_by) then return false end
  local attempts = tonumber(f[6])
  if t.refund then attempts = math.max(attempts - 1, 0) end
  local next_run_at = t.next_run_at or f[9]
  local set = {'state', state, 'attempts', attempts, 'updated_at', t.finished_at,
    'next_run_at', next_run_at}
  local gone = {'worker_id', 'token', 'lease_expires_at'}
  for _, pair in ipairs({{'last_error', t.error}, {'result', t.result}}) do
    if pair[2] then
      set[#set + 1], set[#set + 2] = pair[1], pair[2]
    else
      gone[#gone + 1] = pair[1]
    end
  end
  redis.call('HSET', k, unpack(set))
  redis.call('HDEL', k, unpack(gone))
  later('ZREM', P .. ':leases', id)
  later('SREM', P .. ':held:' .. f[7], id)
  move(id, f[4], f[5], 'processing', state, t.finished_at)
  -- the attempt's record, as take() made it: none of these fields is there yet
  local record = {'outcome', t.outcome, 'finished_at', t.finished_at}
  for _, name in ipairs(ATTEMPT_FIELDS) do
    if t[name] then record[#record + 1], record[#record + 2] = name, t[name] end
  end
  -- a stream the result has no bytes of keeps what append_output stored while it ran
  for _, name in ipairs({'stdout', 'stderr'}) do
    local dropped = name .. '_dropped'
    if t[name] then
      record[#record + 1], record[#record + 2] = name, output(t[name])
      record[#record + 1], record[#record + 2] = dropped, t[dropped] or '0'
    elseif t[dropped] then
      record[#record + 1], record[#record + 2] = dropped, t[dropped]
    end
  end
  redis.call('HSET', attempt_key(id, f[8]), unpack(record))
  if f[10] then track(k, id, f[10], state) end
  if WAITING[state] and wait(k, id, f[4], f[5], next_run_at, t.ready) then wake() end
  return true
end

-- Applies the finish records in list; their outputs are the arguments after ARGV[i],
-- output n being ARGV[i + n]. Returns whether each applied, as one text of '1' and '0'.
local function finishes(list, i)
  local applied = {}
  local function output(n) return ARGV[i + n] end
  for n, t in ipairs(list) do applied[n] = finish(t, output) and '1' or '0' end
  return table.concat(applied)
end

-- reading ----------------------------------------------------------------------------

local function jobs(ids)
  local found = {}
  for _, id in ipairs(ids) do
    local fields = redis.call('HGETALL', job_key(id))
    if fields[1] then found[#found + 1] = fields end
  end
  return found
end

-- operators' changes -----------------------------------------------------------------

-- The state a job stored in state counts as when a person acts on it: its own, or
-- unknown_as (the caller's, from queuectl_core.stored) for one queuectl does not know.
local function acts_as(state, unknown_as)
  if KNOWN[state] then return state end
  return unknown_as
end

-- nil if every id names a job in an allowed state, else why not.
local function check(ids, allowed, unknown_as)
  for _, id in ipairs(ids) do
    local state = redis.call('HGET', job_key(id), 'state')
    if not state then return {'missing', id} end
    state = acts_as(state, unknown_as)
    if not allowed[state] then return {'state', id, state} end
  end
  return nil
end

-- recurring schedules ------------------------------------------------------------------

-- A schedule's hash: definition (core's JSON text), next_run_at, last_run_at and
-- last_job_id; the names are in P:schedules, those with a next run in P:schedules_due
-- scored by it.
local function schedule_key(name) return P .. ':schedule:' .. name end

local function set_next_run(k, name, next_run_at)
  if next_run_at then
    redis.call('HSET', k, 'next_run_at', next_run_at)
    redis.call('ZADD', P .. ':schedules_due', next_run_at, name)
  else
    redis.call('HDEL', k, 'next_run_at')
    redis.call('ZREM', P .. ':schedules_due', name)
  end
end
