-- ARGV: ns, ids: for each id that jobs wait for, {id, their hashes as field/value lists}.
local found = {}
for n = 2, #ARGV do
  local waiting = jobs(redis.call('SMEMBERS', P .. ':dependents:' .. ARGV[n]))
  if waiting[1] then found[#found + 1] = {ARGV[n], waiting} end
end
return found
