-- digest: a canonical serialization of everything reachable from a root table (the host hashes it
-- as the process's state hash). Canonical means independent of the hash seed, of heap addresses
-- and of insertion order:
--   keys are sorted (booleans < numbers < strings < other, each by value);
--   a table or function met again is written as a back-reference to its first visit number;
--   numbers keep their subtype (integer or float, floats as %.17g);
--   a Lua function is written as its stripped bytecode (string.dump), a C function as "C";
--   metatables are included; __pairs and __index are bypassed. Upvalues are not visible without
--   the debug library, so two closures of the same code with different upvalues serialize alike.
-- Keys that are tables or functions are ordered by a fingerprint: a 64-bit value computed once per
-- table (memoised), from its entries combined in an order-free way, so ordering them is linear in
-- the state's size (format v2; v1 re-serialized such keys at every comparison, ~3^depth).
-- Strings longer than 32 bytes met again are written as a back-reference too, so the text is
-- linear in the state's memory, not in how often a string is referenced.

local type, next, rawget, tostring, pcall, getmetatable = type, next, rawget, tostring, pcall, getmetatable
local format, mathtype, byte, sub, pack, unpack = string.format, math.type, string.byte, string.sub, string.pack, string.unpack
local concat, sort = table.concat, table.sort

local typeRank = { boolean = 1, number = 2, string = 3 }
local VERSION = "ao-state-v2;"
local PRIME = 0x100000001b3

local function mix(h, x) return ((h ~ x) * PRIME) ~ (h >> 29) end

return function(dump)
  return function(root)
    local buf, n = {}, 0
    local ids, nextId = {}, 0
    local prints = {}
    local visit

    local function put(s) n = n + 1; buf[n] = s end

    local function number(v)
      if mathtype(v) == "integer" then return "i" .. tostring(v) .. ";" end
      return "f" .. format("%.17g", v) .. ";"
    end

    -- a value's fingerprint: equal for equal structures, whatever the insertion order or addresses
    local function fingerprint(v)
      local t = type(v)
      if t == "string" then
        local h = mix(3, #v)
        local head = sub(v, 1, 32)
        for i = 1, #head do h = mix(h, byte(head, i)) end
        if #v > 32 then
          local tail = sub(v, -32)
          for i = 1, #tail do h = mix(h, byte(tail, i)) end
        end
        return h
      elseif t == "number" then
        if mathtype(v) == "integer" then return mix(2, v) end
        return mix(5, (unpack("<i8", pack("<d", v))))
      elseif t == "boolean" then
        return v and 7 or 11
      elseif t == "table" or t == "function" then
        local h = prints[v]
        if h then return h end
        prints[v] = 13 -- while in progress: a cycle contributes a constant
        if t == "function" then
          local ok, code = pcall(dump, v, true)
          h = ok and fingerprint(code) or 17
        else
          local acc = 0
          for key, value in next, v do acc = acc + mix(fingerprint(key), fingerprint(value)) end
          local mt = getmetatable(v)
          h = mix(mix(19, acc), mt ~= nil and fingerprint(mt) or 0)
        end
        prints[v] = h
        return h
      end
      return 23
    end

    local function keyLess(a, b)
      local ta, tb = type(a), type(b)
      local ra, rb = typeRank[ta] or 4, typeRank[tb] or 4
      if ra ~= rb then return ra < rb end
      if ra == 1 then return (not a) and b end
      if ra == 2 or ra == 3 then return a < b end
      return fingerprint(a) < fingerprint(b)
    end

    visit = function(v)
      local t = type(v)
      if t == "string" then
        if #v > 32 then
          local id = ids[v]
          if id then put("@" .. id .. ";") return end
          nextId = nextId + 1
          ids[v] = nextId
        end
        put("s" .. #v .. ":")
        put(v)
      elseif t == "number" then
        put(number(v))
      elseif t == "boolean" then
        put(v and "T" or "F")
      elseif t == "nil" then
        put("N")
      elseif t == "table" or t == "function" then
        local id = ids[v]
        if id then put("@" .. id .. ";") return end
        nextId = nextId + 1
        ids[v] = nextId
        if t == "function" then
          local ok, code = pcall(dump, v, true)
          if ok then put("L" .. #code .. ":"); put(code) else put("C") end
          return
        end
        local keys, k = {}, 0
        local kind, mixed = nil, false
        for key in next, v do
          k = k + 1
          keys[k] = key
          local tk = type(key)
          if kind == nil then kind = tk elseif tk ~= kind then mixed = true end
        end
        -- keys all strings or all numbers compare natively; anything else needs keyLess
        if mixed or (kind ~= "string" and kind ~= "number") then sort(keys, keyLess) else sort(keys) end
        put("{")
        for i = 1, k do
          local key = keys[i]
          visit(key)
          visit(rawget(v, key))
        end
        local mt = getmetatable(v)
        if mt ~= nil then put("m"); visit(mt) end
        put("}")
      else
        put("?" .. t .. ";")
      end
    end

    put(VERSION)
    visit(root)
    return concat(buf, "", 1, n)
  end
end
