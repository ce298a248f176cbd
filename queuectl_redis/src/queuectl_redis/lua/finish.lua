-- ARGV: ns, a call record {finishes = {one finish record}} (see finishes in lib.lua),
-- then its outputs.
if finishes(cjson.decode(ARGV[2]).finishes, 2) == '1' then return 1 end
return 0
