-- ARGV: ns, ids: the jobs that exist, as field/value lists.
local ids = {}
for n = 2, #ARGV do ids[#ids + 1] = ARGV[n] end
return jobs(ids)
