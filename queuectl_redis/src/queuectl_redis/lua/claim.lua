-- ARGV: ns, then claim's arguments (see lib.lua).
return claim(2)
