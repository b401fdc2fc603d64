-- metered: the string and table functions whose C loops the instruction hook cannot see, made to
-- pay gas in proportion to the work they may do (docs/limits.md, "C-level work").
--
-- The host meters Lua instructions (a count hook) and allocated bytes (the allocator); C code that
-- loops without allocating is invisible to both, so one call could run for hours:
-- ("a"):rep(5000):find(".-.-.-.-.-.-.-b") backtracks ~5000^7 steps. Here:
--   find, match, gmatch, gsub  the worst-case work of the C matcher is bounded from the pattern's
--             shape: (start positions) x (pattern length) x (subject length)^(quantifiers). When
--             that bound is at most C_BOUND the C matcher runs and bound/4 gas is charged first;
--             otherwise the match runs in Lua (below, a port of lstrlib.c), where the hook meters
--             every step, so a runaway pattern ends "out of gas" like any loop.
--   rep        of empty strings charges its repetition count (it loops without allocating;
--             other reps pay through what they allocate).
--   table.insert/remove/move/sort, utf8.len  charge the elements or bytes they walk.
--   collectgarbage("collect"/"step")  charges the heap it walks (16 gas per KiB).
-- aoHost is the bundle's host function (see the header of the runtime chunk); without it (the
-- plain-Lua tests) nothing is charged.
-- Every charge depends only on the arguments, so replays pay exactly the same.

local type, error, select, tostring, tonumber, rawlen = type, error, select, tostring, tonumber, rawlen
local byte, sub, rawfind, rawmatch, rawgmatch, rawgsub, rawrep = string.byte, string.sub, string.find, string.match, string.gmatch, string.gsub, string.rep
local concat = table.concat
local utf8len = utf8.len
local floor, huge, log, min = math.floor, math.huge, math.log, math.min
local mathtype, tointeger = math.type, math.tointeger

local metered = {}

-- Bound (in matcher steps) up to which the C matcher runs; each step is charged 1/STEPS_PER_GAS gas.
local C_BOUND = 1048576
local STEPS_PER_GAS = 4

local function charge(n)
  if n >= 1 and aoHost then aoHost("charge", n) end
end

-- Lua 5.4 string.find's init: 1-based, negative counts from the end.
local function posrelat(pos, len)
  if pos > 0 then return pos end
  if pos == 0 then return 1 end
  if pos < -len then return 1 end
  return len + pos + 1
end

local function checkString(v, n, fname)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
  error("bad argument #" .. n .. " to '" .. fname .. "' (string expected, got " .. (v == nil and "no value" or t) .. ")", 3)
end

local function optInteger(v, default, n, fname)
  if v == nil then return default end
  local i = tonumber(v)
  if i == nil then error("bad argument #" .. n .. " to '" .. fname .. "' (number expected, got " .. type(v) .. ")", 3) end
  if mathtype(i) == "float" then
    if i ~= floor(i) or i ~= i or i == huge or i == -huge then
      error("bad argument #" .. n .. " to '" .. fname .. "' (number has no integer representation)", 3)
    end
    i = floor(i)
  end
  return i
end

-- Worst-case steps of the C matcher over `n` subject bytes: every start position (one when
-- anchored) tries the pattern, each quantifier (and %b or a back-reference) may rescan the rest.
-- One exception, the common tokenizing shape ("%a+", "[^,]+", "(%d+)", "k=(.-)"): a single
-- quantifier that is the pattern's last item (only capture closes after it). Whatever precedes
-- it has no quantifier (at most m steps a start), and what follows it always matches, so a start
-- that reaches it succeeds after one forward scan: find and match stop there, gmatch and gsub go
-- on from the match's end, and the scans cover each subject byte at most once.
local function cBound(n, p, anchored, plain)
  local m = #p + 1
  if plain or not rawfind(p, "[%^%$%*%+%?%.%(%[%%%-]") then return (n + 1) * m end
  local _, q = rawgsub(p, "[%*%+%-%?]", "")
  local _, b = rawgsub(p, "%%[b1-9]", "")
  local starts = anchored and 1 or n + 1
  if q == 1 and b == 0 and rawfind(p, "[%*%+%-%?]%)*$") then return starts * m + n + 1 end
  return starts * m * (n + 1) ^ (q + b)
end

-- C locale character classes, by class letter: a table of the 256 byte values that belong.
local classes = {}
do
  local function set(name, pred)
    local t = {}
    for c = 0, 255 do t[c] = pred(c) end
    classes[name] = t
  end
  local function alpha(c) return (c >= 65 and c <= 90) or (c >= 97 and c <= 122) end
  local function digit(c) return c >= 48 and c <= 57 end
  set("a", alpha)
  set("c", function(c) return c < 32 or c == 127 end)
  set("d", digit)
  set("g", function(c) return c >= 33 and c <= 126 end)
  set("l", function(c) return c >= 97 and c <= 122 end)
  set("p", function(c) return c >= 33 and c <= 126 and not alpha(c) and not digit(c) end)
  set("s", function(c) return c == 32 or (c >= 9 and c <= 13) end)
  set("u", function(c) return c >= 65 and c <= 90 end)
  set("w", function(c) return alpha(c) or digit(c) end)
  set("x", function(c) return digit(c) or (c >= 97 and c <= 102) or (c >= 65 and c <= 70) end)
  set("z", function(c) return c == 0 end) -- deprecated, still in lstrlib.c
end

local function matchClass(c, cl)
  local lower = cl
  if cl >= 65 and cl <= 90 then lower = cl + 32 end
  local t = classes[string.char(lower)]
  if not t then return cl == c end
  local res = t[c]
  if cl >= 65 and cl <= 90 then return not res end
  return res
end

-- The matcher: a port of lstrlib.c's match machinery over byte values (positions are 1-based).
local CAP_UNFINISHED, CAP_POSITION = -1, -2
local MAXCCALLS, MAXCAPTURES = 200, 32

local function newState(src, pat)
  return { src = src, n = #src, p = pat, plen = #pat, level = 0, depth = MAXCCALLS, init = {}, len = {} }
end

local function classEnd(ms, p)
  local pat = ms.p
  local c = byte(pat, p)
  p = p + 1
  if c == 37 then
    if p > ms.plen then error("malformed pattern (ends with '%')", 0) end
    return p + 1
  elseif c == 91 then
    if byte(pat, p) == 94 then p = p + 1 end
    repeat
      if p > ms.plen then error("malformed pattern (missing ']')", 0) end
      local cc = byte(pat, p)
      p = p + 1
      if cc == 37 and p <= ms.plen then p = p + 1 end
    until byte(pat, p) == 93
    return p + 1
  end
  return p
end

local function matchBracket(ms, c, p, ec)
  local pat = ms.p
  local sig = true
  if byte(pat, p + 1) == 94 then sig = false; p = p + 1 end
  p = p + 1
  while p < ec do
    local pc = byte(pat, p)
    if pc == 37 then
      p = p + 1
      if matchClass(c, byte(pat, p)) then return sig end
    elseif byte(pat, p + 1) == 45 and p + 2 < ec then
      if pc <= c and c <= byte(pat, p + 2) then return sig end
      p = p + 2
    elseif pc == c then
      return sig
    end
    p = p + 1
  end
  return not sig
end

local function singleMatch(ms, s, p, ep)
  if s > ms.n then return false end
  local c = byte(ms.src, s)
  local pc = byte(ms.p, p)
  if pc == 46 then return true end
  if pc == 37 then return matchClass(c, byte(ms.p, p + 1)) end
  if pc == 91 then return matchBracket(ms, c, p, ep - 1) end
  return pc == c
end

local doMatch

local function maxExpand(ms, s, p, ep)
  local i = 0
  while singleMatch(ms, s + i, p, ep) do i = i + 1 end
  while i >= 0 do
    local res = doMatch(ms, s + i, ep + 1)
    if res then return res end
    i = i - 1
  end
  return nil
end

local function minExpand(ms, s, p, ep)
  while true do
    local res = doMatch(ms, s, ep + 1)
    if res then return res end
    if singleMatch(ms, s, p, ep) then s = s + 1 else return nil end
  end
end

local function startCapture(ms, s, p, what)
  local level = ms.level + 1
  if level > MAXCAPTURES then error("too many captures", 0) end
  ms.init[level] = s
  ms.len[level] = what
  ms.level = level
  local res = doMatch(ms, s, p)
  if res == nil then ms.level = ms.level - 1 end
  return res
end

local function endCapture(ms, s, p)
  local l
  for i = ms.level, 1, -1 do
    if ms.len[i] == CAP_UNFINISHED then l = i break end
  end
  if not l then error("invalid pattern capture", 0) end
  ms.len[l] = s - ms.init[l]
  local res = doMatch(ms, s, p)
  if res == nil then ms.len[l] = CAP_UNFINISHED end
  return res
end

local function matchBalance(ms, s, p)
  if p >= ms.plen then error("malformed pattern (missing arguments to '%b')", 0) end
  if s > ms.n or byte(ms.src, s) ~= byte(ms.p, p) then return nil end
  local b, e = byte(ms.p, p), byte(ms.p, p + 1)
  local cont = 1
  s = s + 1
  while s <= ms.n do
    local c = byte(ms.src, s)
    if c == e then
      cont = cont - 1
      if cont == 0 then return s + 1 end
    elseif c == b then
      cont = cont + 1
    end
    s = s + 1
  end
  return nil
end

local function matchCapture(ms, s, l)
  l = l - 48
  if l < 1 or l > ms.level or ms.len[l] == CAP_UNFINISHED then error("invalid capture index %" .. l, 0) end
  local len = ms.len[l]
  if len < 0 then return nil end
  if ms.n - s + 1 >= len and sub(ms.src, ms.init[l], ms.init[l] + len - 1) == sub(ms.src, s, s + len - 1) then
    return s + len
  end
  return nil
end

doMatch = function(ms, s, p)
  ms.depth = ms.depth - 1
  if ms.depth == 0 then error("pattern too complex", 0) end
  local pat, plen = ms.p, ms.plen
  while p <= plen do
    local pc = byte(pat, p)
    if pc == 40 then -- (
      if byte(pat, p + 1) == 41 then s = startCapture(ms, s, p + 2, CAP_POSITION)
      else s = startCapture(ms, s, p + 1, CAP_UNFINISHED) end
      break
    elseif pc == 41 then -- )
      s = endCapture(ms, s, p + 1)
      break
    elseif pc == 36 and p == plen then -- $ at the end
      if s ~= ms.n + 1 then s = nil end
      break
    elseif pc == 37 and byte(pat, p + 1) == 98 then -- %b
      s = matchBalance(ms, s, p + 2)
      if s == nil then break end
      p = p + 4
    elseif pc == 37 and byte(pat, p + 1) == 102 then -- %f
      p = p + 2
      if byte(pat, p) ~= 91 then error("missing '[' after '%f' in pattern", 0) end
      local ep = classEnd(ms, p)
      local prev = s == 1 and 0 or byte(ms.src, s - 1)
      local cur = s <= ms.n and byte(ms.src, s) or 0
      if not matchBracket(ms, prev, p, ep - 1) and matchBracket(ms, cur, p, ep - 1) then
        p = ep
      else
        s = nil
        break
      end
    elseif pc == 37 and (byte(pat, p + 1) or 0) >= 48 and (byte(pat, p + 1) or 0) <= 57 then -- %0-%9
      s = matchCapture(ms, s, byte(pat, p + 1))
      if s == nil then break end
      p = p + 2
    else
      local ep = classEnd(ms, p)
      local epc = byte(pat, ep)
      if not singleMatch(ms, s, p, ep) then
        if epc == 42 or epc == 63 or epc == 45 then -- * ? - accept zero
          p = ep + 1
        else
          s = nil
          break
        end
      else
        if epc == 63 then -- ?
          local res = doMatch(ms, s + 1, ep + 1)
          if res then s = res break end
          p = ep + 1
        elseif epc == 43 then -- +
          s = maxExpand(ms, s + 1, p, ep)
          break
        elseif epc == 42 then -- *
          s = maxExpand(ms, s, p, ep)
          break
        elseif epc == 45 then -- -
          s = minExpand(ms, s, p, ep)
          break
        else
          s = s + 1
          p = ep
        end
      end
    end
  end
  ms.depth = ms.depth + 1
  return s
end

local function oneCapture(ms, i, s, e)
  if i > ms.level then
    if i ~= 1 then error("invalid capture index %" .. i, 0) end
    return sub(ms.src, s, e - 1)
  end
  local l = ms.len[i]
  if l == CAP_UNFINISHED then error("unfinished capture", 0) end
  if l == CAP_POSITION then return ms.init[i] end
  return sub(ms.src, ms.init[i], ms.init[i] + l - 1)
end

-- The captures of a match (the whole match when there are none and `s` is given).
local function captures(ms, s, e)
  local n = (ms.level == 0 and s) and 1 or ms.level
  local out = {}
  for i = 1, n do out[i] = oneCapture(ms, i, s, e) end
  return out, n
end

local function reset(ms)
  ms.level = 0
  ms.depth = MAXCCALLS
end

local unpack = table.unpack

local function luaFind(s, p, init, plain, isFind)
  local ls = #s
  if plain then
    -- a literal search, step by step
    local lp = #p
    if lp == 0 then return init, init - 1 end
    local first = byte(p, 1)
    for i = init, ls - lp + 1 do
      if byte(s, i) == first and sub(s, i, i + lp - 1) == p then return i, i + lp - 1 end
    end
    return nil
  end
  local anchored = byte(p, 1) == 94
  local pat = anchored and sub(p, 2) or p
  local ms = newState(s, pat)
  local s1 = init
  repeat
    reset(ms)
    local e = doMatch(ms, s1, 1)
    if e then
      if isFind then
        local caps, n = captures(ms, nil, 0)
        return s1, e - 1, unpack(caps, 1, n)
      end
      local caps, n = captures(ms, s1, e)
      return unpack(caps, 1, n)
    end
    s1 = s1 + 1
  until s1 > ls + 1 or anchored
  return nil
end

local function findAux(isFind, fname, s, p, init, plain)
  s = checkString(s, 1, fname)
  p = checkString(p, 2, fname)
  local ls = #s
  init = posrelat(optInteger(init, 1, 3, fname), ls)
  if init > ls + 1 then return nil end
  plain = isFind and plain
  local bound = cBound(ls - init + 1, p, byte(p, 1) == 94, plain)
  if bound <= C_BOUND then
    charge(floor(bound / STEPS_PER_GAS))
    if isFind then return rawfind(s, p, init, plain) end
    return rawmatch(s, p, init)
  end
  if isFind and (plain or not rawfind(p, "[%^%$%*%+%?%.%(%[%%%-]")) then return luaFind(s, p, init, true, true) end
  return luaFind(s, p, init, false, isFind)
end

function metered.find(s, p, init, plain) return findAux(true, "find", s, p, init, plain) end
function metered.match(s, p, init) return findAux(false, "match", s, p, init) end

local function luaGmatch(s, p, init)
  local ls = #s
  local ms = newState(s, p)
  local src, lastmatch = init, nil
  return function()
    while src <= ls + 1 do
      reset(ms)
      local e = doMatch(ms, src, 1)
      if e and e ~= lastmatch then
        local start = src
        src, lastmatch = e, e
        local caps, n = captures(ms, start, e)
        return unpack(caps, 1, n)
      end
      src = src + 1
    end
    return nil
  end
end

function metered.gmatch(s, p, init)
  s = checkString(s, 1, "gmatch")
  p = checkString(p, 2, "gmatch")
  local ls = #s
  init = posrelat(optInteger(init, 1, 3, "gmatch"), ls)
  if init > ls + 1 then init = ls + 1 end
  if cBound(ls - init + 1, p, false, false) <= C_BOUND then
    charge(floor(cBound(ls - init + 1, p, false, false) / STEPS_PER_GAS))
    return rawgmatch(s, p, init)
  end
  return luaGmatch(s, p, init)
end

local function addValue(ms, out, s, e, repl, tr)
  local value
  if tr == "function" then
    local caps, n = captures(ms, s, e)
    value = repl(unpack(caps, 1, n))
  elseif tr == "table" then
    value = repl[oneCapture(ms, 1, s, e)]
  else
    -- a string: %0-%9 and %%
    local r = tostring(repl)
    local parts, i, lr = {}, 1, #r
    while i <= lr do
      local c = byte(r, i)
      if c == 37 then
        i = i + 1
        local d = byte(r, i)
        if d == 37 then parts[#parts + 1] = "%"
        elseif d == 48 then parts[#parts + 1] = sub(ms.src, s, e - 1)
        elseif d and d >= 49 and d <= 57 then parts[#parts + 1] = tostring(oneCapture(ms, d - 48, s, e))
        else error("invalid use of '%' in replacement string", 0) end
      else
        parts[#parts + 1] = sub(r, i, i)
      end
      i = i + 1
    end
    out[#out + 1] = concat(parts)
    return true
  end
  if not value then
    out[#out + 1] = sub(ms.src, s, e - 1)
    return false
  end
  local tv = type(value)
  if tv ~= "string" and tv ~= "number" then error("invalid replacement value (a " .. tv .. ")", 0) end
  out[#out + 1] = tostring(value)
  return true
end

local function luaGsub(s, p, repl, maxN)
  local ls = #s
  local tr = type(repl)
  local anchored = byte(p, 1) == 94
  local pat = anchored and sub(p, 2) or p
  local ms = newState(s, pat)
  local out, src, lastmatch, n, changed = {}, 1, nil, 0, false
  while n < maxN do
    reset(ms)
    local e = doMatch(ms, src, 1)
    if e and e ~= lastmatch then
      n = n + 1
      changed = addValue(ms, out, src, e, repl, tr) or changed
      src, lastmatch = e, e
    elseif src <= ls then
      out[#out + 1] = sub(s, src, src)
      src = src + 1
    else
      break
    end
    if anchored then break end
  end
  if not changed then return s, n end
  out[#out + 1] = sub(s, src)
  return concat(out), n
end

function metered.gsub(s, p, repl, maxN)
  s = checkString(s, 1, "gsub")
  p = checkString(p, 2, "gsub")
  local tr = type(repl)
  if tr ~= "number" and tr ~= "string" and tr ~= "function" and tr ~= "table" then
    error("bad argument #3 to 'gsub' (string/function/table expected, got " .. (repl == nil and "no value" or tr) .. ")", 2)
  end
  local ls = #s
  local anchored = byte(p, 1) == 94
  local bound = cBound(ls, p, anchored, false)
  if bound <= C_BOUND then
    charge(floor(bound / STEPS_PER_GAS))
    return rawgsub(s, p, repl, maxN)
  end
  return luaGsub(s, p, repl, optInteger(maxN, ls + 1, 4, "gsub"))
end

function metered.rep(s, n, sep)
  local count = optInteger(n, nil, 2, "rep")
  if count and count > 0 and s == "" and (sep == nil or sep == "") then charge(count) end
  return rawrep(s, n, sep)
end

-- #t honours __len like the C functions do (luaL_len); a metamethod it calls is metered itself.
local function lengthOf(t)
  local n = #t
  return type(n) == "number" and tointeger(n) or 0
end

-- The worst-case step bound of a call (for tests).
metered.bound = cBound
metered.C_BOUND = C_BOUND

-- The Lua matcher alone, whatever the bound (for tests against the C matcher: same arguments, same results).
metered.lua = {
  find = function(s, p, init, plain)
    init = posrelat(init or 1, #s)
    if init > #s + 1 then return nil end
    return luaFind(s, p, init, plain or not rawfind(p, "[%^%$%*%+%?%.%(%[%%%-]"), true)
  end,
  match = function(s, p, init)
    init = posrelat(init or 1, #s)
    if init > #s + 1 then return nil end
    return luaFind(s, p, init, false, false)
  end,
  gmatch = function(s, p, init)
    init = posrelat(init or 1, #s)
    if init > #s + 1 then init = #s + 1 end
    return luaGmatch(s, p, init)
  end,
  gsub = function(s, p, repl, maxN) return luaGsub(s, p, repl, maxN or #s + 1) end,
}

--- Puts the metered functions in place of the ones in G (user code sees only these).
function metered.install(G)
  local S, T = G.string, G.table
  S.find, S.match, S.gmatch, S.gsub, S.rep = metered.find, metered.match, metered.gmatch, metered.gsub, metered.rep
  local insert, remove, move, sort, collect = T.insert, T.remove, T.move, T.sort, G.collectgarbage
  T.insert = function(t, ...)
    if select("#", ...) >= 2 and type(t) == "table" then
      local pos = tonumber((...))
      if pos then charge(lengthOf(t) - pos) end
    end
    return insert(t, ...)
  end
  T.remove = function(t, ...)
    local pos = tonumber((...))
    if pos and type(t) == "table" then charge(lengthOf(t) - pos) end
    return remove(t, ...)
  end
  T.move = function(a1, f, e, ...)
    -- (the sandbox refuses ranges over 2^24 elements: those pay up to that and fail)
    if type(f) == "number" and type(e) == "number" and e >= f then charge(min(e - f + 1, 16777216)) end
    return move(a1, f, e, ...)
  end
  T.sort = function(t, ...)
    if type(t) == "table" then
      local n = lengthOf(t)
      if n > 1 then charge(floor(n * log(n, 2))) end
    end
    return sort(t, ...)
  end
  if G.utf8 then
    G.utf8.len = function(s, ...)
      if type(s) == "string" then charge(#s // 16) end
      return utf8len(s, ...)
    end
  end
  G.collectgarbage = function(opt, ...)
    if opt == nil or opt == "collect" or opt == "step" then charge(floor(collect("count") * 16)) end
    return collect(opt, ...)
  end
end

return metered
