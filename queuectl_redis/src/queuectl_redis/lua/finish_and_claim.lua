-- ARGV: ns, the finishes' arguments (see finishes in lib.lua), then claim's: a worker's
-- hot path, which stores its results and takes its next jobs in one call.
-- Returns the finishes' '1'/'0' as one text, the settings version, and the claims as
-- one JSON text (parsing it is far cheaper for the client than a nested reply).
local applied, claim_args = finishes(2)
local claimed = claim(claim_args)
if #claimed == 0 then return {applied, 0, '[]'} end
return {applied, settings_version(), cjson.encode(claimed)}
