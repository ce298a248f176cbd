-- ARGV: ns, offset, limit, index keys (zsets of ids by seq): one page, newest first.
local offset, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local rows = {}
for n = 4, #ARGV do
  local found = redis.call('ZREVRANGE', ARGV[n], 0, offset + limit - 1, 'WITHSCORES')
  for i = 1, #found, 2 do rows[#rows + 1] = {found[i], tonumber(found[i + 1])} end
end
table.sort(rows, function(a, b) return a[2] > b[2] end)
local ids = {}
for i = offset + 1, math.min(#rows, offset + limit) do ids[#ids + 1] = rows[i][1] end
return jobs(ids)
