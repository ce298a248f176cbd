-- Shared by every script (prepended to each). ARGV[1] is the namespace "{prefix}";
-- every key is built from it, so all keys share one hash tag (one cluster slot).
-- Floats arrive as text and are stored as text: Lua never formats a float.
-- Optional values arrive as '' (none) or '=' .. value.
local P = ARGV[1]
local BATCH = 500 -- jobs changed per call when every job in a state is retried or purged
local PROMOTE = 1000 -- scheduled jobs made ready per claim at most
local WAITING = {pending = true, failed = true}
local FINAL = {completed = true, dead = true, cancelled = true}

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

-- counts and the list indexes -------------------------------------------------------

local function count(queue, state, delta)
  local field = queue .. '\0' .. state
  if redis.call('HINCRBY', P .. ':counts', field, delta) <= 0 then
    redis.call('HDEL', P .. ':counts', field)
  end
end

local function index(id, queue, state, seq)
  redis.call('ZADD', P .. ':state:' .. state, seq, id)
  redis.call('ZADD', P .. ':sq:' .. state .. ':' .. queue, seq, id)
  count(queue, state, 1)
end

local function unindex(id, queue, state)
  redis.call('ZREM', P .. ':state:' .. state, id)
  redis.call('ZREM', P .. ':sq:' .. state .. ':' .. queue, id)
  count(queue, state, -1)
end

local function move(id, queue, seq, from, to)
  unindex(id, queue, from)
  index(id, queue, to, seq)
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

-- A pending or failed job starts waiting; returns whether it is ready now.
local function wait(k, id, queue, seq, next_run_at, ready_now)
  local m = member(next_run_at, seq, id)
  redis.call('HSET', k, 'member', m)
  redis.call('ZADD', P .. ':waiting:' .. queue, next_run_at, id)
  if ready_now then
    redis.call('ZADD', P .. ':ready:' .. queue, redis.call('HGET', k, 'score'), m)
  else
    redis.call('ZADD', P .. ':scheduled', next_run_at, m)
  end
  return ready_now
end

local function unwait(k, id, queue)
  local m = redis.call('HGET', k, 'member')
  if m then
    redis.call('ZREM', P .. ':ready:' .. queue, m)
    redis.call('ZREM', P .. ':scheduled', m)
    redis.call('HDEL', k, 'member')
  end
  redis.call('ZREM', P .. ':waiting:' .. queue, id)
end

-- claim and finish -------------------------------------------------------------------

local function promote(now)
  local due = redis.call('ZRANGEBYSCORE', P .. ':scheduled', '-inf', now, 'LIMIT', 0, PROMOTE)
  for _, m in ipairs(due) do
    local f = redis.call('HMGET', job_key(member_id(m)), 'queue', 'score')
    redis.call('ZREM', P .. ':scheduled', m)
    if f[1] then redis.call('ZADD', P .. ':ready:' .. f[1], f[2], m) end
  end
end

-- The best waiting job of one queue: {member, score}, or nil.
local function top(queue)
  local found = redis.call('ZRANGE', P .. ':ready:' .. queue, 0, 0, 'WITHSCORES')
  if found[1] then return {found[1], tonumber(found[2])} end
  return nil
end

-- A hash as a table (cjson.encode makes it a JSON object).
local function hash_table(k)
  local flat, fields = redis.call('HGETALL', k), {}
  for n = 1, #flat, 2 do fields[flat[n]] = flat[n + 1] end
  return fields
end

-- Lease job id (ready in queue) to worker; returns {job's fields, attempt number}.
local function take(id, queue, worker, now, lease_until, token)
  local k = job_key(id)
  local f = redis.call('HMGET', k, 'state', 'seq')
  unwait(k, id, queue)
  local number = redis.call('HINCRBY', k, 'last_attempt', 1)
  redis.call('HINCRBY', k, 'attempts', 1)
  redis.call('HSET', k, 'state', 'processing', 'worker_id', worker, 'token', token,
    'lease_expires_at', lease_until, 'updated_at', now)
  move(id, queue, f[2], f[1], 'processing')
  redis.call('ZADD', P .. ':leases', lease_until, id)
  redis.call('SADD', P .. ':held:' .. worker, id)
  redis.call('HSET', attempt_key(id, number), 'worker_id', worker, 'started_at', now,
    'outcome', 'running')
  return {hash_table(k), number}
end

-- ARGV[i..]: worker, now, lease_until, token, limit, then '*' (every queue) or '+' and
-- names. Takes up to limit jobs, best first (claim n's token is token .. '.' .. n);
-- returns what take() returns for each.
local function claim(i)
  local worker, now, lease_until, token = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local limit, claimed = tonumber(ARGV[i + 4]), {}
  if limit < 1 then return claimed end
  promote(now)
  local queues = {}
  if ARGV[i + 5] == '*' then
    queues = redis.call('SMEMBERS', P .. ':queues')
  else
    for n = i + 6, #ARGV do queues[#queues + 1] = ARGV[n] end
  end
  local tops = {} -- each queue's best; only the queue a job was taken from changes
  for q, queue in ipairs(queues) do tops[q] = top(queue) end
  for n = 1, limit do
    local best
    for q = 1, #queues do
      local t = tops[q]
      if t and (best == nil or t[2] < tops[best][2]
          or (t[2] == tops[best][2] and precedes(t[1], tops[best][1]))) then
        best = q
      end
    end
    if best == nil then break end
    local id = member_id(tops[best][1])
    claimed[n] = take(id, queues[best], worker, now, lease_until, token .. '.' .. n)
    tops[best] = top(queues[best])
  end
  return claimed
end

-- ARGV[i]: a JSON array of text: id, token, expired_by (opt), state, refund (0/1),
-- error (opt), result (opt), finished_at, next_run_at (opt), outcome, exit_code (opt),
-- stdout_dropped, stderr_dropped, started_at (opt); ARGV[i + 1], ARGV[i + 2]: stdout,
-- stderr (bytes). One text instead of 14 arguments: arguments cost the client most.
-- Returns whether it applied.
local FINISH_ARGS = 3
local function finish(i)
  local a = cjson.decode(ARGV[i])
  local id, token, expired_by, state = a[1], a[2], opt(a[3]), a[4]
  local finished_at, next_run_at = a[8], opt(a[9])
  local k = job_key(id)
  local f = redis.call('HMGET', k, 'state', 'token', 'lease_expires_at', 'queue', 'seq',
    'attempts', 'worker_id', 'last_attempt', 'next_run_at')
  if f[1] ~= 'processing' or f[2] ~= token then return false end
  if expired_by and tonumber(f[3]) > tonumber(expired_by) then return false end
  local attempts = math.max(tonumber(f[6]) - tonumber(a[5]), 0)
  next_run_at = next_run_at or f[9]
  redis.call('HSET', k, 'state', state, 'attempts', attempts, 'updated_at', finished_at,
    'next_run_at', next_run_at)
  redis.call('HDEL', k, 'worker_id', 'token', 'lease_expires_at')
  set_opt(k, 'last_error', a[6])
  set_opt(k, 'result', a[7])
  redis.call('ZREM', P .. ':leases', id)
  redis.call('SREM', P .. ':held:' .. f[7], id)
  move(id, f[4], f[5], 'processing', state)
  local ak = attempt_key(id, f[8])
  redis.call('HSET', ak, 'outcome', a[10], 'finished_at', finished_at,
    'stdout', ARGV[i + 1], 'stderr', ARGV[i + 2],
    'stdout_dropped', a[12], 'stderr_dropped', a[13])
  set_opt(ak, 'exit_code', a[11])
  set_opt(ak, 'error', a[6])
  if a[14] ~= '' then redis.call('HSET', ak, 'started_at', opt(a[14])) end
  if WAITING[state] and wait(k, id, f[4], f[5], next_run_at,
      tonumber(next_run_at) <= tonumber(finished_at)) then
    wake()
  end
  return true
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

-- nil if every id names a job in an allowed state, else why not.
local function check(ids, allowed)
  for _, id in ipairs(ids) do
    local state = redis.call('HGET', job_key(id), 'state')
    if not state then return {'missing', id} end
    if not allowed[state] then return {'state', id, state} end
  end
  return nil
end
