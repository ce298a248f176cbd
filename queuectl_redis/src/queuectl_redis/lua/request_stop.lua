-- ARGV: ns, '*' (every worker) or '+' and ids: how many were asked to stop.
local ids = {}
if ARGV[2] == '*' then
  ids = redis.call('SMEMBERS', P .. ':workers')
else
  for n = 3, #ARGV do ids[#ids + 1] = ARGV[n] end
end
local asked = 0
for _, id in ipairs(ids) do
  local k = P .. ':worker:' .. id
  if redis.call('EXISTS', k) == 1 then
    redis.call('HSET', k, 'stop', '1')
    asked = asked + 1
  end
end
return asked
