-- ARGV: ns, 'ids', the state an unknown one counts as, state count, states, ids (all or
-- nothing): returns {'ok', n}.
-- Or ns, 'state', state, cursor seq, cutoff (opt): up to BATCH jobs of the state after
-- the cursor, deleting those updated before the cutoff: returns {'ok', n, seen, cursor}.
-- Or ns, 'oldest', an ended state, cutoff (opt), limit: up to limit jobs of the state
-- updated before the cutoff, longest ago first (P:ended:<state>): returns {'ok', n}.
-- Drops job id, whose options text is options, from the index of dependents: as a job
-- waited for, and as one waiting for those its options' 'after' names; and its unique
-- key, if that still names it.
local function forget(id, options)
  redis.call('DEL', P .. ':dependents:' .. id)
  redis.call('SREM', P .. ':unsettled', id)
  local ok, decoded = pcall(cjson.decode, options or 'null')
  if not ok or type(decoded) ~= 'table' then return end
  if type(decoded.after) == 'table' then
    for _, parent in ipairs(decoded.after) do
      redis.call('SREM', P .. ':dependents:' .. tostring(parent), id)
    end
  end
  local key = decoded.unique_key
  if type(key) == 'string' and redis.call('HGET', P .. ':unique', key) == id then
    redis.call('HDEL', P .. ':unique', key)
  end
end

local function delete(id)
  local k = job_key(id)
  local f = redis.call('HMGET', k, 'state', 'queue', 'last_attempt', 'worker_id', 'options',
    'dependents')
  local indexed = indexed_state(id, f[1])
  if indexed then unindex(id, f[2], indexed) end
  unwait(k, id, f[2])
  redis.call('ZREM', P .. ':jobs', id)
  redis.call('ZREM', P .. ':queue:' .. f[2], id)
  redis.call('ZREM', P .. ':leases', id)
  redis.call('ZREM', P .. ':expiring', id)
  if f[4] then redis.call('SREM', P .. ':held:' .. f[4], id) end
  for n = 1, tonumber(f[3] or '0') do redis.call('DEL', attempt_key(id, n)) end
  if f[5] or f[6] then forget(id, f[5]) end
  redis.call('DEL', k)
end

if ARGV[2] == 'ids' then
  local allowed, nstates, ids = {}, tonumber(ARGV[4]), {}
  for n = 5, 4 + nstates do allowed[ARGV[n]] = true end
  for n = 5 + nstates, #ARGV do ids[#ids + 1] = ARGV[n] end
  local refused = check(ids, allowed, ARGV[3])
  if refused then return refused end
  for _, id in ipairs(ids) do delete(id) end
  return {'ok', #ids}
end
if ARGV[2] == 'oldest' then
  local cutoff = opt(ARGV[4])
  local ids = redis.call('ZRANGEBYSCORE', P .. ':ended:' .. ARGV[3], '-inf',
    cutoff and '(' .. cutoff or '+inf', 'LIMIT', 0, tonumber(ARGV[5]))
  for _, id in ipairs(ids) do delete(id) end
  return {'ok', #ids}
end
local cutoff = opt(ARGV[5])
local rows = redis.call('ZRANGEBYSCORE', P .. ':state:' .. ARGV[3], '(' .. ARGV[4], '+inf',
  'WITHSCORES', 'LIMIT', 0, BATCH)
local deleted, cursor = 0, ARGV[4]
for i = 1, #rows, 2 do
  cursor = rows[i + 1]
  if not cutoff or tonumber(redis.call('HGET', job_key(rows[i]), 'updated_at')) < tonumber(cutoff) then
    delete(rows[i])
    deleted = deleted + 1
  end
end
return {'ok', deleted, #rows, cursor}
