-- ARGV: ns, id: false for an unknown job, else its attempts oldest first.
local last = redis.call('HMGET', job_key(ARGV[2]), 'state', 'last_attempt')
if not last[1] then return false end
local found = {}
for n = 1, tonumber(last[2] or '0') do
  found[#found + 1] = redis.call('HGETALL', attempt_key(ARGV[2], n))
end
return found
