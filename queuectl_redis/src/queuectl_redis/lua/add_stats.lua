-- ARGV: ns, then name, delta pairs.
for i = 2, #ARGV, 2 do
  redis.call('HINCRBYFLOAT', P .. ':stats', ARGV[i], ARGV[i + 1])
end
return #ARGV / 2
