-- ARGV: ns: {version, field/value list}.
return {settings_version(), redis.call('HGETALL', P .. ':settings')}
