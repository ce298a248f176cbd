-- ARGV: ns, how many finishes, finish's arguments for each, then claim's (see lib.lua):
-- a worker's hot path, which stores its results and takes its next jobs in one call.
-- Returns the finishes' 1/0, the settings version, and the claims as one JSON text
-- (parsing it is far cheaper for the client than a nested reply per job field).
local count, applied = tonumber(ARGV[2]), {}
for n = 1, count do
  applied[n] = finish(3 + (n - 1) * FINISH_ARGS) and 1 or 0
end
local claimed = claim(3 + count * FINISH_ARGS)
if #claimed == 0 then return {applied, 0, '[]'} end
return {applied, settings_version(), cjson.encode(claimed)}
