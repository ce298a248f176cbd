-- ARGV: ns: every worker's id and field/value list.
local found = {}
for _, id in ipairs(redis.call('SMEMBERS', P .. ':workers')) do
  local fields = redis.call('HGETALL', P .. ':worker:' .. id)
  if fields[1] then
    found[#found + 1] = id
    found[#found + 1] = fields
  end
end
return found
