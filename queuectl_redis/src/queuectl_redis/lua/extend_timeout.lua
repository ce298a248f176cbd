-- ARGV: ns, an extension record (records.extension): id, token, seconds and maximum
-- (numbers as text). Adds seconds to the attempt's timeout extension, the total capped
-- at maximum (one already above it is kept), only while token holds the job; returns
-- the total as text ('%.17g' round-trips a double exactly), false if the token does not hold it.
local r = cjson.decode(ARGV[2])
local k = job_key(r.id)
local f = redis.call('HMGET', k, 'state', 'token', 'timeout_extension')
if f[1] ~= 'processing' or f[2] ~= r.token then return false end
local before = tonumber(f[3] or '0')
local total = math.max(before, math.min(before + tonumber(r.seconds), tonumber(r.maximum)))
if total == before then return f[3] or '0' end
local text = string.format('%.17g', total)
redis.call('HSET', k, 'timeout_extension', text)
return text
