-- ARGV: ns, call id, then per job: id, queue, state, ready now (0/1), field count,
-- field/value pairs. All or nothing; a retried call (same call id) is not a duplicate.
local jobs_in, n = {}, 3
while n <= #ARGV do
  local count = tonumber(ARGV[n + 4])
  jobs_in[#jobs_in + 1] = {id = ARGV[n], queue = ARGV[n + 1], state = ARGV[n + 2],
    ready = ARGV[n + 3] == '1', first = n + 5, last = n + 4 + 2 * count}
  n = n + 5 + 2 * count
end
for _, job in ipairs(jobs_in) do
  local existing = redis.call('HGET', job_key(job.id), 'enq')
  if existing == ARGV[2] then return {'ok'} end
  if redis.call('EXISTS', job_key(job.id)) == 1 then return {'dup', job.id} end
end
for _, job in ipairs(jobs_in) do
  local k = job_key(job.id)
  local seq = redis.call('INCR', P .. ':seq')
  local fields = {k, 'seq', seq, 'enq', ARGV[2]}
  for f = job.first, job.last do fields[#fields + 1] = ARGV[f] end
  redis.call('HSET', unpack(fields))
  redis.call('ZADD', P .. ':jobs', seq, job.id)
  redis.call('ZADD', P .. ':queue:' .. job.queue, seq, job.id)
  redis.call('SADD', P .. ':queues', job.queue)
  index(job.id, job.queue, job.state, seq)
  if WAITING[job.state] then
    wait(k, job.id, job.queue, seq, redis.call('HGET', k, 'next_run_at'), job.ready)
  end
end
wake() -- also for jobs due later: a sleeping worker then re-reads when to wake up
return {'ok'}
