-- sandbox: what user code may reach, made deterministic.
--
-- install() runs once, after the runtime has captured what it needs, and leaves user code with:
--   removed   dofile, loadfile, require, package, io, debug, string.dump, os.* other than below
--   load      text chunks only (mode is forced to "t": no binary chunks)
--   os        time() = the message Timestamp in whole seconds, time(t) and date() in UTC from
--             that clock, clock() = 0, difftime(); nothing touches the host
--   math      random/randomseed: the stock generator, seeded per message from its Hash-Chain and
--             Id on first use; randomseed() without arguments re-seeds the same way
--   collectgarbage  "collect", "count", "step", "isrunning"; other options are ignored
--   setmetatable    a __gc field is ignored (finalizers would run with the instruction hook off)
--   string metatable  getmetatable("") returns a read-only view
--   table.move      refuses ranges over 2^24 elements (one C loop the instruction hook cannot stop)
--   string, table, utf8.len, collectgarbage  metered where C loops would escape gas (metered.lua)
-- The host must also fix what Lua seeds from the clock (string hash seed, table.sort pivot).

local type, select, error, tostring, tonumber, rawget, rawset, pairs = type, select, error, tostring, tonumber, rawget, rawset, pairs
local rawload, rawsetmetatable, rawgetmetatable, rawcollect = load, setmetatable, getmetatable, collectgarbage
local rawrandom, rawrandomseed, rawmove = math.random, math.randomseed, table.move
local byte, format, gsub, sub = string.byte, string.format, string.gsub, string.sub
local floor = math.floor

local sandbox = {}

local current = { timestamp = 0, msg = nil, seeded = false }

--- Marks the start of a message: os.time and the random seed follow it.
function sandbox.begin(msg)
  current.timestamp = floor(tonumber(msg.Timestamp) or 0)
  current.msg = msg
  current.seeded = false
end

-- FNV-1a over "Hash-Chain|Id|Timestamp", with two different mixes, gives the two seed words.
local function seedFromMessage()
  local msg = current.msg or {}
  local s = tostring(msg["Hash-Chain"] or "") .. "|" .. tostring(msg.Id or "") .. "|" .. tostring(current.timestamp)
  local a, b = -3750763034362895579, 1099511628211
  for i = 1, #s do
    local c = byte(s, i)
    a = (a ~ c) * 1099511628211
    b = (b ~ c) * 6364136223846793005 + 1442695040888963407
  end
  rawrandomseed(a, b)
  current.seeded = true
end

-- civil date <-> days since 1970-01-01 (proleptic Gregorian, UTC)
local function civilFromDays(z)
  z = z + 719468
  local era = z // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  return yoe + era * 400 + (m <= 2 and 1 or 0), m, d
end

local function daysFromCivil(y, m, d)
  y = y + (m - 1) // 12
  m = (m - 1) % 12 + 1
  if m <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function osTime(t)
  if t == nil then return current.timestamp // 1000 end
  if type(t) ~= "table" then error("bad argument #1 to 'time' (table expected)", 2) end
  local function field(k, default)
    local v = t[k]
    if v == nil then
      if default == nil then error("field '" .. k .. "' missing in date table", 3) end
      return default
    end
    return floor(tonumber(v) or error("field '" .. k .. "' is not a number", 3))
  end
  local days = daysFromCivil(field("year"), field("month"), 1) + field("day") - 1
  return days * 86400 + field("hour", 12) * 3600 + field("min", 0) * 60 + field("sec", 0)
end

local dayNames = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday" }
local monthNames = { "January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December" }

local function dateTable(time)
  local days = time // 86400
  local secs = time - days * 86400
  local y, m, d = civilFromDays(days)
  return {
    year = y, month = m, day = d,
    hour = secs // 3600, min = secs % 3600 // 60, sec = secs % 60,
    wday = (days + 4) % 7 + 1, yday = days - daysFromCivil(y, 1, 1) + 1, isdst = false,
  }
end

local function osDate(fmt, time)
  fmt = fmt == nil and "%c" or tostring(fmt)
  time = time == nil and osTime() or floor(tonumber(time) or error("bad argument #2 to 'date'", 2))
  if sub(fmt, 1, 1) == "!" then fmt = sub(fmt, 2) end -- the clock is UTC either way
  local t = dateTable(time)
  if sub(fmt, 1, 2) == "*t" then return t end
  local codes
  codes = {
    a = function() return sub(dayNames[t.wday], 1, 3) end,
    A = function() return dayNames[t.wday] end,
    b = function() return sub(monthNames[t.month], 1, 3) end,
    B = function() return monthNames[t.month] end,
    c = function() return format("%s %s %2d %02d:%02d:%02d %d", codes.a(), codes.b(), t.day, t.hour, t.min, t.sec, t.year) end,
    d = function() return format("%02d", t.day) end,
    D = function() return format("%02d/%02d/%02d", t.month, t.day, t.year % 100) end,
    e = function() return format("%2d", t.day) end,
    F = function() return format("%d-%02d-%02d", t.year, t.month, t.day) end,
    H = function() return format("%02d", t.hour) end,
    I = function() return format("%02d", (t.hour + 11) % 12 + 1) end,
    j = function() return format("%03d", t.yday) end,
    m = function() return format("%02d", t.month) end,
    M = function() return format("%02d", t.min) end,
    p = function() return t.hour < 12 and "AM" or "PM" end,
    s = function() return tostring(time) end,
    S = function() return format("%02d", t.sec) end,
    T = function() return format("%02d:%02d:%02d", t.hour, t.min, t.sec) end,
    w = function() return tostring(t.wday - 1) end,
    x = function() return format("%02d/%02d/%02d", t.month, t.day, t.year % 100) end,
    X = function() return format("%02d:%02d:%02d", t.hour, t.min, t.sec) end,
    y = function() return format("%02d", t.year % 100) end,
    Y = function() return tostring(t.year) end,
    z = function() return "+0000" end,
    Z = function() return "UTC" end,
    ["%"] = function() return "%" end,
  }
  return (gsub(fmt, "%%(.)", function(c)
    local f = codes[c]
    if not f then error("bad conversion specifier '%" .. c .. "' to 'date'", 3) end
    return f()
  end))
end

local collectOptions = { collect = true, count = true, step = true, isrunning = true }

--- Replaces the global environment's unsafe or non-deterministic parts (see the header).
function sandbox.install(G)
  G.dofile, G.loadfile, G.require, G.package, G.io, G.debug = nil, nil, nil, nil, nil, nil
  G.string.dump = nil
  G.warn = function() end

  G.load = function(chunk, chunkname, _mode, ...)
    if select("#", ...) > 0 then return rawload(chunk, chunkname, "t", (...)) end
    return rawload(chunk, chunkname, "t")
  end

  G.os = {
    time = osTime,
    date = osDate,
    clock = function() return 0.0 end,
    difftime = function(a, b) return (tonumber(a) or 0) - (tonumber(b) or 0) + 0.0 end,
  }

  G.math.random = function(...)
    if not current.seeded then seedFromMessage() end
    return rawrandom(...)
  end
  G.math.randomseed = function(...)
    if select("#", ...) == 0 then return seedFromMessage() end
    current.seeded = true
    return rawrandomseed(...)
  end

  G.collectgarbage = function(opt, ...)
    opt = opt or "collect"
    if collectOptions[opt] then return rawcollect(opt, ...) end
    return 0
  end

  G.setmetatable = function(t, mt)
    if type(mt) == "table" then
      local gc = rawget(mt, "__gc")
      if gc ~= nil then
        rawset(mt, "__gc", nil)
        rawsetmetatable(t, mt)
        rawset(mt, "__gc", gc)
        return t
      end
    end
    return rawsetmetatable(t, mt)
  end

  G.table.move = function(a1, f, e, t, a2)
    if type(f) == "number" and type(e) == "number" and e - f >= 16777216 then
      error("table.move: range too large", 2)
    end
    if a2 == nil then return rawmove(a1, f, e, t) end
    return rawmove(a1, f, e, t, a2)
  end

  local smt = rawgetmetatable("")
  if type(smt) == "table" and rawget(smt, "__metatable") == nil then
    local view = rawsetmetatable({}, {
      __index = smt,
      __newindex = function() error("the string metatable is read-only", 2) end,
      __metatable = false,
    })
    rawset(smt, "__metatable", view)
  end

  metered.install(G)
end

return sandbox
