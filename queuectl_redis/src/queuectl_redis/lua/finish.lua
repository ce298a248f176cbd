-- ARGV: ns, then the arguments of one finish (see finishes in lib.lua).
if finishes(2) == '1' then return 1 end
return 0
