-- stringify: the text print() and Eval show for a table: `{ a = 1, b = "x", 1, 2 }`, keys sorted,
-- long tables spread over indented lines, a cyclic reference shown as <cycle>.

local type, pairs, tostring, format = type, pairs, tostring, string.format
local concat, sort = table.concat, table.sort
local find = string.find

local function keyLess(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == "number" or ta == "string" then return a < b end
  return false
end

local function scalar(v)
  if type(v) == "string" then return format("%q", v) end
  return tostring(v)
end

local function fmt(v, indent, seen)
  if type(v) ~= "table" then return scalar(v) end
  if seen[v] then return "<cycle>" end
  seen[v] = true
  local n = #v
  local keys, k = {}, 0
  for key in pairs(v) do
    if not (type(key) == "number" and key >= 1 and key <= n and key % 1 == 0) then
      k = k + 1
      keys[k] = key
    end
  end
  if n == 0 and k == 0 then seen[v] = nil; return "{}" end
  sort(keys, keyLess)
  local parts, p = {}, 0
  for i = 1, n do p = p + 1; parts[p] = fmt(v[i], indent .. "  ", seen) end
  for i = 1, k do
    local key = keys[i]
    local label
    if type(key) == "string" and find(key, "^[%a_][%w_]*$") then label = key else label = "[" .. scalar(key) .. "]" end
    p = p + 1
    parts[p] = label .. " = " .. fmt(v[key], indent .. "  ", seen)
  end
  seen[v] = nil
  local flat = "{ " .. concat(parts, ", ") .. " }"
  if #flat <= 80 then return flat end
  local inner = indent .. "  "
  return "{\n" .. inner .. concat(parts, ",\n" .. inner) .. "\n" .. indent .. "}"
end

return function(v) return fmt(v, "", {}) end
