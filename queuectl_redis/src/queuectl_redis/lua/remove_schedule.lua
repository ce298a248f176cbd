-- ARGV: ns, name: 1 if the schedule existed (it is deleted), else 0.
local name = ARGV[2]
redis.call('ZREM', P .. ':schedules_due', name)
redis.call('SREM', P .. ':schedules', name)
return redis.call('DEL', schedule_key(name))
