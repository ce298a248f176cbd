-- ARGV: ns, a progress record (records.progress): id, token, and progress (the JSON
-- text core stores). Stores it only while token holds the job; 1 if it did, else 0.
local r = cjson.decode(ARGV[2])
local k = job_key(r.id)
local f = redis.call('HMGET', k, 'state', 'token')
if f[1] ~= 'processing' or f[2] ~= r.token then return 0 end
redis.call('HSET', k, 'progress', r.progress)
return 1
