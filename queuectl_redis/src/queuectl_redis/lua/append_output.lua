-- ARGV: ns, an output record (records.output_call): id, token, attempt (the job's open
-- attempt), limit, and chunks, each {stream, skipped}; then each chunk's bytes, in order.
-- Appends each chunk to its stream of the attempt's record, keeping the last limit bytes
-- and counting what is cut or skipped in <stream>_dropped. 1 if the token holds the job.
local o = cjson.decode(ARGV[2])
local f = redis.call('HMGET', job_key(o.id), 'state', 'token', 'last_attempt')
if f[1] ~= 'processing' or f[2] ~= o.token or tonumber(f[3]) ~= o.attempt then return 0 end
local k = attempt_key(o.id, o.attempt)
for n, c in ipairs(o.chunks) do
  local dropped_field = c.stream .. '_dropped'
  local old = redis.call('HMGET', k, c.stream, dropped_field)
  local data = (old[1] or '') .. ARGV[2 + n]
  local dropped = tonumber(old[2] or '0') + c.skipped
  if #data > o.limit then
    dropped = dropped + #data - o.limit
    data = string.sub(data, #data - o.limit + 1)
  end
  redis.call('HSET', k, c.stream, data, dropped_field, dropped)
end
return 1
