-- digest: a canonical serialization of everything reachable from a root table (the host hashes it
-- as the process's state hash). Canonical means independent of the hash seed, of heap addresses
-- and of insertion order:
--   keys are sorted (booleans < numbers < strings < other, each by value);
--   a table or function met again is written as a back-reference to its first visit number;
--   numbers keep their subtype (integer or float, floats as %.17g);
--   a Lua function is written as its stripped bytecode (string.dump), a C function as "C";
--   metatables are included; __pairs and __index are bypassed. Upvalues are not visible without
--   the debug library, so two closures of the same code with different upvalues serialize alike.
-- Keys that are tables or functions are ordered by their own serialization (rare in practice).

local type, next, rawget, tostring, pcall, getmetatable = type, next, rawget, tostring, pcall, getmetatable
local format, mathtype = string.format, math.type
local concat, sort = table.concat, table.sort

local typeRank = { boolean = 1, number = 2, string = 3 }

return function(dump)
  return function(root)
    local buf, n = {}, 0
    local ids, nextId = {}, 0
    local visit

    local function put(s) n = n + 1; buf[n] = s end

    local function number(v)
      if mathtype(v) == "integer" then return "i" .. tostring(v) .. ";" end
      return "f" .. format("%.17g", v) .. ";"
    end

    -- the serialization of a key taken alone, used only to order table and function keys
    local function keyText(k)
      local saveBuf, saveN, saveIds, saveNext = buf, n, ids, nextId
      buf, n, ids, nextId = {}, 0, {}, 0
      visit(k)
      local text = concat(buf, "", 1, n)
      buf, n, ids, nextId = saveBuf, saveN, saveIds, saveNext
      return text
    end

    local function keyLess(a, b)
      local ta, tb = type(a), type(b)
      local ra, rb = typeRank[ta] or 4, typeRank[tb] or 4
      if ra ~= rb then return ra < rb end
      if ra == 1 then return (not a) and b end
      if ra == 2 or ra == 3 then return a < b end
      return keyText(a) < keyText(b)
    end

    visit = function(v)
      local t = type(v)
      if t == "string" then
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

    visit(root)
    return concat(buf, "", 1, n)
  end
end
