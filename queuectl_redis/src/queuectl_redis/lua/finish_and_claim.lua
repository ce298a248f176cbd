-- ARGV: ns, finish's arguments, then claim's (see lib.lua): the per-job hot path.
local applied = finish(2) and 1 or 0
return {applied, claim(2 + FINISH_ARGS)}
