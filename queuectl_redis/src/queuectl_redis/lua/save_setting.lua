-- ARGV: ns, name, value (opt).
set_opt(P .. ':settings', ARGV[2], ARGV[3])
return redis.call('INCR', P .. ':settings_version')
