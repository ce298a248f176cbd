-- ARGV: ns, how many finishes, finish's arguments for each, then claim's (see lib.lua):
-- a worker's hot path, which stores its results and takes its next jobs in one call.
local count, applied = tonumber(ARGV[2]), {}
for n = 1, count do
  applied[n] = finish(3 + (n - 1) * FINISH_ARGS) and 1 or 0
end
return {applied, claim(3 + count * FINISH_ARGS)}
