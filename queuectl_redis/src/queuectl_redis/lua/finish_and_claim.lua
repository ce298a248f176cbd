-- ARGV: ns, a call record {finishes = finish records, claim = a claim record} (see
-- finishes and claim in lib.lua), then the finishes' outputs: a worker's hot path, which
-- stores its results and takes its next jobs in one call.
-- Returns the finishes' '1'/'0' as one text, the settings version, and the claims as
-- one JSON text (parsing it is far cheaper for the client than a nested reply).
local call = cjson.decode(ARGV[2])
local applied = finishes(call.finishes, 2)
local claimed = claim(call.claim)
if #claimed == 0 then return {applied, 0, '[]'} end
return {applied, settings_version(), cjson.encode(claimed)}
