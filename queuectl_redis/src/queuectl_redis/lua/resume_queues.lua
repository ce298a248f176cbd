-- ARGV: ns, '*' (every paused queue) or '+' and queue names: resumes those that are
-- paused (removes them from the hash P:paused) and returns their names, in the order
-- given ('*': by name); wakes idle workers when any was paused.
local key = P .. ':paused'
local queues = {}
if ARGV[2] == '*' then
  queues = redis.call('HKEYS', key)
  table.sort(queues)
else
  for n = 3, #ARGV do queues[#queues + 1] = ARGV[n] end
end
local resumed = {}
for _, queue in ipairs(queues) do
  if redis.call('HDEL', key, queue) == 1 then resumed[#resumed + 1] = queue end
end
if #resumed > 0 then wake() end
return resumed
