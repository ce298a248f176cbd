-- ARGV: ns: every schedule, as its name and field/value list.
local found = {}
for _, name in ipairs(redis.call('SMEMBERS', P .. ':schedules')) do
  local fields = redis.call('HGETALL', schedule_key(name))
  if fields[1] then
    found[#found + 1] = name
    found[#found + 1] = fields
  end
end
return found
