-- ARGV: ns, '*' (every queue) or '+' and queue names: the earliest due time or false,
-- closed queues (paused, or at their concurrency limit) left out.
local queues = {}
if ARGV[2] == '*' then
  queues = redis.call('SMEMBERS', P .. ':queues')
else
  for n = 3, #ARGV do queues[#queues + 1] = ARGV[n] end
end
local best, best_text = nil, false
queues = open_queues(queues)
for _, queue in ipairs(queues) do
  local top = redis.call('ZRANGE', P .. ':waiting:' .. queue, 0, 0, 'WITHSCORES')
  if top[1] and (best == nil or tonumber(top[2]) < best) then
    best, best_text = tonumber(top[2]), top[2]
  end
end
return best_text
