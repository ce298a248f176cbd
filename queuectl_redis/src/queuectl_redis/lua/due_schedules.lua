-- ARGV: ns, now, limit: the schedules due at now, earliest first (then by name), each
-- as its name and field/value list.
local found = {}
local due = redis.call('ZRANGEBYSCORE', P .. ':schedules_due', '-inf', ARGV[2],
  'LIMIT', 0, tonumber(ARGV[3]))
for _, name in ipairs(due) do
  found[#found + 1] = name
  found[#found + 1] = redis.call('HGETALL', schedule_key(name))
end
return found
