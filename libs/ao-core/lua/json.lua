-- json: a JSON codec in plain Lua 5.4, tuned for the evaluator's hot path (one decode of the
-- incoming message and one encode of the result per message).
--
--   json.decode(text)  -> value    null decodes to nil (as in aos); integers stay integers
--   json.encode(value) -> text     object keys are sorted, so equal tables encode to equal text
--                                  whatever the host's hash seed; an empty table encodes as []
--
-- Decoding scans with string.find/byte (C speed) and dispatches on the first byte of each value.
-- Encoding appends to one buffer table and joins it once.

local byte, sub, find, char, format, gsub = string.byte, string.sub, string.find, string.char, string.format, string.gsub
local concat, sort, tointeger, mathtype = table.concat, table.sort, math.tointeger, math.type
local type, pairs, next, tostring, tonumber, error = type, pairs, next, tostring, tonumber, error
local rawlen, utf8char, huge = rawlen, utf8.char, math.huge

local json = { _version = "1.0.0" }

-- decode ---------------------------------------------------------------------------------------

local escapes = { [34] = '"', [92] = "\\", [47] = "/", [98] = "\b", [102] = "\f", [110] = "\n", [114] = "\r", [116] = "\t" }

local function decodeError(text, pos, what)
  error(format("json: %s at position %d", what, pos), 0)
end

-- Decodes the string starting after the opening quote at `pos`; returns the value and the
-- position after the closing quote.
local function decodeString(text, pos)
  local stop = find(text, '["\\]', pos)
  if not stop then decodeError(text, pos, "unterminated string") end
  if byte(text, stop) == 34 then return sub(text, pos, stop - 1), stop + 1 end
  local parts, n = {}, 0
  while true do
    if stop > pos then n = n + 1; parts[n] = sub(text, pos, stop - 1) end
    local c = byte(text, stop)
    if c == 34 then return concat(parts), stop + 1 end
    -- a backslash escape
    local e = byte(text, stop + 1)
    local simple = escapes[e]
    if simple then
      n = n + 1; parts[n] = simple
      pos = stop + 2
    elseif e == 117 then -- \uXXXX, possibly a surrogate pair
      local hex = sub(text, stop + 2, stop + 5)
      local cp = #hex == 4 and tonumber(hex, 16)
      if not cp then decodeError(text, stop, "bad unicode escape") end
      pos = stop + 6
      if cp >= 0xD800 and cp <= 0xDBFF and sub(text, pos, pos + 1) == "\\u" then
        local lo = tonumber(sub(text, pos + 2, pos + 5), 16)
        if lo and lo >= 0xDC00 and lo <= 0xDFFF then
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
          pos = pos + 6
        end
      end
      n = n + 1; parts[n] = utf8char(cp)
    else
      decodeError(text, stop, "bad escape")
    end
    stop = find(text, '["\\]', pos)
    if not stop then decodeError(text, pos, "unterminated string") end
  end
end

local decodeValue -- forward

local function skip(text, pos)
  return find(text, "[^ \t\r\n]", pos) or #text + 1
end

local literals = { ["true"] = true, ["false"] = false }

-- Fast paths: one string.find with captures reads a whole `"key":"value",` pair, or a whole
-- `{"name":"..","value":".."}` tag, when no escape is involved; anything else takes the general
-- path one token at a time. Each pattern comes in a compact form (JSON.stringify's output, tried
-- first: fewer pattern items to match) and a whitespace-tolerant form.
local WS = "[ \t\r\n]*"
local function spaced(compact)
  return (gsub(compact, "~", WS))
end
local PAIR_STRING = '^"([^"\\]*)":"([^"\\]*)"([,}])'
local PAIR_STRING_WS = spaced('^~"([^"\\]*)"~:~"([^"\\]*)"~([,}])')
local PAIR_SCALAR = '^"([^"\\]*)":([%w%-%+%.]+)([,}])'
local PAIR_SCALAR_WS = spaced('^~"([^"\\]*)"~:~([%w%-%+%.]+)~([,}])')
local PAIR_KEY = spaced('^~"([^"\\]*)"~:~')
local TAG = '^{"name":"([^"\\]*)","value":"([^"\\]*)"}([,%]])'
local TAG_WS = spaced('^~{~"name"~:~"([^"\\]*)"~,~"value"~:~"([^"\\]*)"~}~([,%]])')
local TERMINATOR = spaced('^~([,}%]])')

local function decodeArray(text, pos)
  local result, n = {}, 0
  pos = skip(text, pos)
  if byte(text, pos) == 93 then return result, pos + 1 end
  while true do
    local _, stop, name, value, term = find(text, TAG, pos)
    if not stop then _, stop, name, value, term = find(text, TAG_WS, pos) end
    if stop then
      n = n + 1
      result[n] = { name = name, value = value }
      pos = stop + 1
      if term == "]" then return result, pos end
    else
      local item
      item, pos = decodeValue(text, skip(text, pos))
      n = n + 1
      result[n] = item
      _, stop, term = find(text, TERMINATOR, pos)
      if term == "]" then return result, stop + 1 end
      if term ~= "," then decodeError(text, pos, "expected ',' or ']'") end
      pos = stop + 1
    end
  end
end

-- The value of a bare token (true, false, null or a number).
local function scalar(text, pos, token)
  local literal = literals[token]
  if literal ~= nil then return literal end
  if token == "null" then return nil end
  local value = tonumber(token)
  if value == nil then decodeError(text, pos, "bad number") end
  return value
end

local function decodeObject(text, pos)
  local result = {}
  pos = skip(text, pos)
  if byte(text, pos) == 125 then return result, pos + 1 end
  while true do
    local _, stop, key, value, term = find(text, PAIR_STRING, pos)
    if not stop then
      _, stop, key, value, term = find(text, PAIR_SCALAR, pos)
      if stop then
        value = scalar(text, pos, value)
      else
        _, stop, key, value, term = find(text, PAIR_STRING_WS, pos)
        if not stop then
          _, stop, key, value, term = find(text, PAIR_SCALAR_WS, pos)
          if stop then value = scalar(text, pos, value) end
        end
      end
    end
    if stop then
      result[key] = value
      pos = stop + 1
      if term == "}" then return result, pos end
    else
      _, stop, key = find(text, PAIR_KEY, pos)
      if stop then
        pos = stop + 1
      else -- a key with escapes
        pos = skip(text, pos)
        if byte(text, pos) ~= 34 then decodeError(text, pos, "expected a string key") end
        key, pos = decodeString(text, pos + 1)
        pos = skip(text, pos)
        if byte(text, pos) ~= 58 then decodeError(text, pos, "expected ':'") end
        pos = skip(text, pos + 1)
      end
      value, pos = decodeValue(text, pos)
      result[key] = value
      _, stop, term = find(text, TERMINATOR, pos)
      if term == "}" then return result, stop + 1 end
      if term ~= "," then decodeError(text, pos, "expected ',' or '}'") end
      pos = stop + 1
    end
  end
end

local function decodeNumber(text, pos)
  local _, stop = find(text, "^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
  local value = stop and tonumber(sub(text, pos, stop))
  if not value then decodeError(text, pos, "bad number") end
  return value, stop + 1
end

local function literal(word, value)
  local len = #word
  return function(text, pos)
    if sub(text, pos, pos + len - 1) ~= word then decodeError(text, pos, "bad literal") end
    return value, pos + len
  end
end

local dispatch = {
  [34] = function(text, pos) return decodeString(text, pos + 1) end,
  [123] = function(text, pos) return decodeObject(text, pos + 1) end,
  [91] = function(text, pos) return decodeArray(text, pos + 1) end,
  [116] = literal("true", true),
  [102] = literal("false", false),
  [110] = literal("null", nil),
}
for c = 48, 57 do dispatch[c] = decodeNumber end
dispatch[45] = decodeNumber

decodeValue = function(text, pos)
  local f = dispatch[byte(text, pos)]
  if not f then decodeError(text, pos, "unexpected character") end
  return f(text, pos)
end

--- Decodes JSON text into Lua values.
function json.decode(text)
  if type(text) ~= "string" then error("json.decode expects a string, got " .. type(text), 2) end
  local value, pos = decodeValue(text, skip(text, 1))
  pos = skip(text, pos)
  if pos <= #text then decodeError(text, pos, "trailing garbage") end
  return value
end

-- encode ---------------------------------------------------------------------------------------

local escapeMap = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
for i = 0, 31 do
  local c = char(i)
  if not escapeMap[c] then escapeMap[c] = format("\\u%04x", i) end
end
escapeMap["\127"] = "\\u007f"

-- Matches strings that need no escaping: an anchored run of the allowed bytes (0x20-0x7E except
-- '"' and '\', and 0x80-0xFF) is scanned in one tight loop, several times faster than searching
-- for a forbidden byte position by position.
local CLEAN = "^[]-~ -!#-[\128-\255]*$"
json.CLEAN = CLEAN

--- The JSON escaping of a string's content (the string itself when nothing needs escaping).
local function escape(s)
  if find(s, CLEAN) then return s end
  return (gsub(s, '[%c"\\]', escapeMap))
end
json.escape = escape

local function quote(s)
  return '"' .. escape(s) .. '"'
end
json.quote = quote

local function encodeNumber(x)
  if mathtype(x) == "integer" then return tostring(x) end
  if x ~= x or x == huge or x == -huge then error("json: cannot encode " .. tostring(x), 0) end
  local i = tointeger(x)
  if i and i > -9007199254740992 and i < 9007199254740992 then return tostring(i) end
  local s = format("%.14g", x)
  if tonumber(s) ~= x then s = format("%.17g", x) end
  return s
end

local function keyLess(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta == "number" end
  return a < b
end

local encodeInto -- forward

local function encodeTable(t, buf, n, stack)
  if stack[t] then error("json: circular reference", 0) end
  stack[t] = true
  local len = rawlen(t)
  local count = 0
  for _ in next, t do
    count = count + 1
    if count > len then break end
  end
  if count == len then -- an array (or empty)
    n = n + 1; buf[n] = "["
    for i = 1, len do
      if i > 1 then n = n + 1; buf[n] = "," end
      n = encodeInto(t[i], buf, n, stack)
    end
    n = n + 1; buf[n] = "]"
  else
    local keys, k = {}, 0
    for key in next, t do
      local tk = type(key)
      if tk ~= "string" and tk ~= "number" then error("json: cannot encode a " .. tk .. " key", 0) end
      k = k + 1; keys[k] = key
    end
    if k > 1 then sort(keys, keyLess) end
    n = n + 1; buf[n] = "{"
    local first = true
    for i = 1, k do
      local key = keys[i]
      local v = t[key]
      local tv = type(v)
      if tv ~= "function" and tv ~= "thread" and tv ~= "userdata" then
        if not first then n = n + 1; buf[n] = "," end
        first = false
        buf[n + 1] = '"'; buf[n + 2] = escape(type(key) == "string" and key or encodeNumber(key)); buf[n + 3] = '":'
        n = n + 3
        n = encodeInto(v, buf, n, stack)
      end
    end
    n = n + 1; buf[n] = "}"
  end
  stack[t] = nil
  return n
end

encodeInto = function(v, buf, n, stack)
  local tv = type(v)
  if tv == "string" then
    buf[n + 1] = '"'; buf[n + 2] = escape(v); buf[n + 3] = '"'
    n = n + 3
  elseif tv == "number" then
    n = n + 1; buf[n] = encodeNumber(v)
  elseif tv == "boolean" then
    n = n + 1; buf[n] = v and "true" or "false"
  elseif tv == "nil" then
    n = n + 1; buf[n] = "null"
  elseif tv == "table" then
    n = encodeTable(v, buf, n, stack)
  else
    error("json: cannot encode a " .. tv, 0)
  end
  return n
end

--- Encodes a Lua value as JSON text (functions inside tables are skipped, as in aos).
function json.encode(value)
  local tv = type(value)
  if tv == "string" then return quote(value) end
  local buf = {}
  local n = encodeInto(value, buf, 0, {})
  return concat(buf, "", 1, n)
end

return json
