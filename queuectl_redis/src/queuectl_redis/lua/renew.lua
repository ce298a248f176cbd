-- ARGV: ns, id, token, lease_until.
local k = job_key(ARGV[2])
local f = redis.call('HMGET', k, 'state', 'token')
if f[1] ~= 'processing' or f[2] ~= ARGV[3] then return 0 end
redis.call('HSET', k, 'lease_expires_at', ARGV[4])
redis.call('ZADD', P .. ':leases', ARGV[4], ARGV[2])
return 1
