-- ARGV: ns, then finish's arguments (see lib.lua).
if finish(2) then return 1 end
return 0
