-- ARGV: ns, an expire record (records.expire): now, reason and limit. Cancels, as
-- cancel.lua does, up to limit jobs of P:expiring (ids scored by expires_at) expired by
-- now that have not started (EXPIRABLE, attempts 0), earliest first; an id that can
-- no longer expire (started, ended, gone) leaves the set as it is met. Returns the
-- cancelled jobs' hashes.
local e = cjson.decode(ARGV[2])
local now, limit, cancelled, met = e.now, e.limit, {}, 0
while #cancelled < limit and met < 10 * limit do
  local ids = redis.call('ZRANGEBYSCORE', P .. ':expiring', '-inf', now, 'LIMIT', 0, limit)
  if not ids[1] then break end
  for _, id in ipairs(ids) do
    met = met + 1
    redis.call('ZREM', P .. ':expiring', id)
    local k = job_key(id)
    local f = redis.call('HMGET', k, 'state', 'queue', 'seq', 'attempts', 'dependents')
    if f[1] and EXPIRABLE[f[1]] and tonumber(f[4] or '0') == 0 then
      unwait(k, id, f[2])
      redis.call('HSET', k, 'state', 'cancelled', 'updated_at', now, 'last_error', e.reason)
      move(id, f[2], f[3], f[1], 'cancelled', now)
      if f[5] then track(k, id, f[5], 'cancelled') end
      cancelled[#cancelled + 1] = redis.call('HGETALL', k)
      if #cancelled >= limit then break end
    end
  end
end
return cancelled
