-- amount: exact integer arithmetic on decimal strings (global `Amount`), shared by every blueprint
-- that handles token quantities, prices or fees. No floats anywhere: a value is a canonical
-- integer string (no leading zeros, "0" for zero, "-" for negatives), of any length up to a few
-- hundred digits; token quantities are checked to at most 78 digits (2^256) when parsed.
--
-- Native 64-bit integers are used whenever both operands are short enough that the result
-- cannot overflow (the common case), limbs of 7 decimal digits beyond.
--
--   Amount.parse(s)            canonical non-negative amount of at most 78 digits, or nil
--   Amount.parseSigned(s)      canonical integer (optional "-") of at most 78 digits, or nil
--   Amount.of(n)               a Lua integer as an amount
--   Amount.toInteger(a)        the amount as a Lua integer when |a| < 2^53, else nil
--   Amount.cmp(a, b)           -1, 0 or 1;   Amount.min / max / sign / isZero / neg / abs
--   Amount.add(a, b), sub(a, b), mul(a, b)
--   Amount.div(a, b, rounding) a / b rounded as stated: "floor" (toward -inf), "ceil" (toward
--                              +inf), "trunc" (toward zero) or "half-up" (to nearest, halves
--                              away from zero). Every call site names its rule.
--   Amount.divmod(a, b)        floor quotient and remainder (the remainder has b's sign)
--   Amount.mod(a, b)           the remainder of divmod
--   Amount.mulDiv(a, b, c, r)  a * b / c rounded with rule r (the product is exact)
--   Amount.pow10(n)            "1" followed by n zeros
--   Amount.fixed(a, d)         a / 10^d as decimal text with d places ("18000", 4 -> "1.8000")
-- Errors (division by zero, a non-amount operand of div) are raised with error(); handlers
-- validate untrusted input with parse first.

local byte, sub, find, format, rep = string.byte, string.sub, string.find, string.format, string.rep
local tonumber, tostring, type, error = tonumber, tostring, type, error
local concat = table.concat
local mathtype = math.type

local MAX_DIGITS = 78
local POW = { [0] = 1 }
for i = 1, 18 do POW[i] = POW[i - 1] * 10 end
local LIMB = 10000000 -- 10^7: a product of two limbs plus carries stays far below 2^63
local LIMB_DIGITS = 7

local Amount = {}

--- The canonical form of a non-negative amount string (no leading zeros), or nil.
function Amount.parse(s)
  if type(s) ~= "string" then return nil end
  if #s <= 18 and find(s, "^[1-9]%d*$") then return s end -- the common case, in one call
  if #s == 0 or #s > MAX_DIGITS + 20 or not find(s, "^%d+$") then return nil end
  local first = find(s, "[1-9]")
  if not first then return "0" end
  s = sub(s, first)
  if #s > MAX_DIGITS then return nil end
  return s
end

--- The canonical form of a signed integer string (optional leading "-"), or nil.
function Amount.parseSigned(s)
  if type(s) ~= "string" then return nil end
  if byte(s, 1) == 45 then
    local m = Amount.parse(sub(s, 2))
    if m == nil then return nil end
    return m == "0" and "0" or "-" .. m
  end
  return Amount.parse(s)
end

--- A Lua integer as an amount.
function Amount.of(n)
  if mathtype(n) ~= "integer" then error("Amount.of: not an integer: " .. tostring(n), 2) end
  return tostring(n)
end

--- The amount as a Lua integer when it has at most 18 characters (it then fits 64 bits), else nil.
function Amount.toInteger(a)
  if #a <= 18 then return tonumber(a) end
  return nil
end

local function isNeg(a) return byte(a, 1) == 45 end

-- magnitude helpers: operands are canonical non-negative strings ------------------------------

local function cmpAbs(a, b)
  if #a ~= #b then return #a < #b and -1 or 1 end
  if a == b then return 0 end
  return a < b and -1 or 1
end

-- little-endian limbs of a canonical non-negative string
local function limbs(s)
  local out, n = {}, 0
  for i = #s, 1, -LIMB_DIGITS do
    n = n + 1
    local j = i - LIMB_DIGITS + 1
    out[n] = tonumber(sub(s, j > 0 and j or 1, i))
  end
  return out, n
end

local function join(out, n)
  while n > 1 and out[n] == 0 do n = n - 1 end
  if n == 0 then return "0" end
  local parts = { tostring(out[n]) }
  for i = n - 1, 1, -1 do parts[#parts + 1] = format("%07d", out[i]) end
  return concat(parts)
end

local function addAbs(a, b)
  if #a <= 17 and #b <= 17 then return tostring(tonumber(a) + tonumber(b)) end
  local x, nx = limbs(a)
  local y, ny = limbs(b)
  local out, carry = {}, 0
  local n = nx > ny and nx or ny
  for i = 1, n do
    local s = (x[i] or 0) + (y[i] or 0) + carry
    if s >= LIMB then s, carry = s - LIMB, 1 else carry = 0 end
    out[i] = s
  end
  if carry > 0 then n = n + 1; out[n] = carry end
  return join(out, n)
end

-- a - b for a >= b
local function subAbs(a, b)
  if #a <= 18 then return tostring(tonumber(a) - tonumber(b)) end
  local x, nx = limbs(a)
  local y = limbs(b)
  local out, borrow = {}, 0
  for i = 1, nx do
    local s = x[i] - (y[i] or 0) - borrow
    if s < 0 then s, borrow = s + LIMB, 1 else borrow = 0 end
    out[i] = s
  end
  return join(out, nx)
end

local function mulLimbs(x, nx, y, ny)
  local out = {}
  for i = 1, nx + ny do out[i] = 0 end
  for i = 1, nx do
    local xi, carry = x[i], 0
    if xi ~= 0 then
      for j = 1, ny do
        local k = i + j - 1
        local t = out[k] + xi * y[j] + carry
        carry = t // LIMB
        out[k] = t - carry * LIMB
      end
      local k = i + ny
      while carry > 0 do
        local t = out[k] + carry
        carry = t // LIMB
        out[k] = t - carry * LIMB
        k = k + 1
      end
    end
  end
  return out, nx + ny
end

local function mulAbs(a, b)
  if #a + #b <= 18 then return tostring(tonumber(a) * tonumber(b)) end
  if a == "0" or b == "0" then return "0" end
  local x, nx = limbs(a)
  local y, ny = limbs(b)
  return join(mulLimbs(x, nx, y, ny))
end

-- drops leading zeros
local function strip(s)
  local nz = find(s, "[1-9]")
  return nz and sub(s, nz) or "0"
end

-- Short division of a (any length) by d (a positive integer below 10^17), k digits at a time so
-- that remainder * 10^k + chunk stays below 10^18. Returns the quotient string and the remainder.
local function shortDiv(a, d)
  local digits = #tostring(d)
  local k = 18 - digits
  if k > 7 then k = 7 end
  local q, n, r = {}, 0, 0
  local len = #a
  local first = len % k
  if first == 0 then first = k end
  local i = 1
  local width = first
  while i <= len do
    local chunk = tonumber(sub(a, i, i + width - 1))
    local cur = r * POW[width] + chunk
    local qd = cur // d
    r = cur - qd * d
    n = n + 1
    q[n] = n == 1 and tostring(qd) or format("%0" .. width .. "d", qd)
    i = i + width
    width = k
  end
  return strip(concat(q)), r
end

-- Knuth's algorithm D on base-10^7 limbs, for divisors of 17 digits or more (a >= b > 0).
local function longDiv(a, b)
  local u, m = limbs(a)
  local v, n = limbs(b)
  -- D1: normalize so the divisor's top limb is at least LIMB / 2
  local d = LIMB // (v[n] + 1)
  if d > 1 then
    local carry = 0
    for i = 1, m do
      local t = u[i] * d + carry
      carry = t // LIMB
      u[i] = t - carry * LIMB
    end
    u[m + 1] = carry
    carry = 0
    for i = 1, n do
      local t = v[i] * d + carry
      carry = t // LIMB
      v[i] = t - carry * LIMB
    end
  else
    u[m + 1] = 0
  end
  local q = {}
  local vt, vs = v[n], v[n - 1]
  for j = m - n, 0, -1 do
    -- D3: estimate the quotient limb from the top two limbs, then correct it
    local top = u[j + n + 1] * LIMB + u[j + n]
    local qhat = top // vt
    local rhat = top - qhat * vt
    while qhat >= LIMB or qhat * vs > rhat * LIMB + u[j + n - 1] do
      qhat = qhat - 1
      rhat = rhat + vt
      if rhat >= LIMB then break end
    end
    -- D4: multiply and subtract
    local borrow, carry = 0, 0
    for i = 1, n do
      local p = qhat * v[i] + carry
      carry = p // LIMB
      local t = u[i + j] - (p - carry * LIMB) - borrow
      if t < 0 then t, borrow = t + LIMB, 1 else borrow = 0 end
      u[i + j] = t
    end
    local t = u[j + n + 1] - carry - borrow
    if t < 0 then
      -- D6: the estimate was one too large; add the divisor back
      u[j + n + 1] = t + LIMB
      qhat = qhat - 1
      carry = 0
      for i = 1, n do
        local s = u[i + j] + v[i] + carry
        if s >= LIMB then s, carry = s - LIMB, 1 else carry = 0 end
        u[i + j] = s
      end
      u[j + n + 1] = (u[j + n + 1] + carry) % LIMB
    else
      u[j + n + 1] = t
    end
    q[j + 1] = qhat
  end
  -- D8: the remainder is the low n limbs divided by d
  local r, rem = {}, 0
  for i = n, 1, -1 do
    local cur = rem * LIMB + u[i]
    r[i] = cur // d
    rem = cur - r[i] * d
  end
  return join(q, m - n + 1), join(r, n)
end

-- floor quotient and remainder of magnitudes (b > 0)
local function divmodAbs(a, b)
  if #a <= 18 and #b <= 18 then
    local x, y = tonumber(a), tonumber(b)
    local q = x // y
    return tostring(q), tostring(x - q * y)
  end
  local c = cmpAbs(a, b)
  if c < 0 then return "0", a end
  if c == 0 then return "1", "0" end
  if find(b, "^10*$") then -- a power of ten: cut the digits
    local z = #b - 1
    return sub(a, 1, #a - z), strip(sub(a, #a - z + 1))
  end
  if #b <= 16 then
    local q, r = shortDiv(a, tonumber(b))
    return q, tostring(r)
  end
  return longDiv(a, b)
end

-- signed API ----------------------------------------------------------------------------------

local function neg(a)
  if a == "0" then return a end
  if isNeg(a) then return sub(a, 2) end
  return "-" .. a
end

--- -1, 0 or 1.
function Amount.cmp(a, b)
  local na, nb = isNeg(a), isNeg(b)
  if not na and not nb then
    if #a ~= #b then return #a < #b and -1 or 1 end
    if a == b then return 0 end
    return a < b and -1 or 1
  end
  if na and not nb then return -1 end
  if nb and not na then return 1 end
  return cmpAbs(sub(b, 2), sub(a, 2))
end
local cmp = Amount.cmp

function Amount.min(a, b) return cmp(a, b) <= 0 and a or b end
function Amount.max(a, b) return cmp(a, b) >= 0 and a or b end
function Amount.isZero(a) return a == "0" end
function Amount.sign(a) if a == "0" then return 0 end return isNeg(a) and -1 or 1 end
function Amount.abs(a) return isNeg(a) and sub(a, 2) or a end
Amount.neg = neg

--- a + b.
function Amount.add(a, b)
  if #a <= 17 and #b <= 17 then return tostring(tonumber(a) + tonumber(b)) end
  local na, nb = isNeg(a), isNeg(b)
  if not na and not nb then return addAbs(a, b) end
  if na and nb then return neg(addAbs(sub(a, 2), sub(b, 2))) end
  local pa, pb = na and sub(a, 2) or a, nb and sub(b, 2) or b
  local c = cmpAbs(pa, pb)
  if c == 0 then return "0" end
  if c > 0 then local r = subAbs(pa, pb); return na and neg(r) or r end
  local r = subAbs(pb, pa)
  return nb and neg(r) or r
end

--- a - b.
function Amount.sub(a, b)
  if #a <= 18 and #b <= 18 then return tostring(tonumber(a) - tonumber(b)) end
  return Amount.add(a, neg(b))
end

--- a * b.
function Amount.mul(a, b)
  if #a + #b <= 18 then return tostring(tonumber(a) * tonumber(b)) end
  local na, nb = isNeg(a), isNeg(b)
  local r = mulAbs(na and sub(a, 2) or a, nb and sub(b, 2) or b)
  if na ~= nb then return neg(r) end
  return r
end

--- Floor quotient and remainder: a = q * b + r with 0 <= |r| < |b| and r of b's sign.
function Amount.divmod(a, b)
  if b == "0" then error("Amount: division by zero", 2) end
  if #a <= 18 and #b <= 18 then
    local x, y = tonumber(a), tonumber(b)
    local q = x // y
    return tostring(q), tostring(x - q * y)
  end
  local na, nb = isNeg(a), isNeg(b)
  local pa, pb = na and sub(a, 2) or a, nb and sub(b, 2) or b
  local q, r = divmodAbs(pa, pb)
  if na == nb then
    return q, nb and neg(r) or r
  end
  -- signs differ: the truncated quotient is -q; floor is one lower when there is a remainder
  if r == "0" then return neg(q), "0" end
  q = neg(addAbs(q, "1"))
  r = subAbs(pb, r)
  return q, nb and neg(r) or r
end
local divmod = Amount.divmod

--- a mod b (the remainder of the floor division).
function Amount.mod(a, b)
  local _, r = divmod(a, b)
  return r
end

--- a / b rounded by `rounding`: "floor", "ceil", "trunc" or "half-up" (halves away from zero).
function Amount.div(a, b, rounding)
  local q, r = divmod(a, b)
  if r == "0" or rounding == "floor" then return q end
  -- here the exact quotient lies strictly between q and q + 1
  if rounding == "ceil" then return Amount.add(q, "1") end
  local positive = isNeg(a) == isNeg(b)
  if rounding == "trunc" then return positive and q or Amount.add(q, "1") end
  if rounding == "half-up" then
    -- r has b's sign, so the fraction above q is |r| / |b|: compare 2|r| with |b|
    local twice = Amount.mul(Amount.abs(r), "2")
    local c = cmp(twice, Amount.abs(b))
    if c > 0 or (c == 0 and positive) then return Amount.add(q, "1") end
    return q
  end
  error("Amount.div: unknown rounding " .. tostring(rounding), 2)
end

--- a * b / c rounded by `rounding` (see div); the product is computed exactly first.
function Amount.mulDiv(a, b, c, rounding)
  return Amount.div(Amount.mul(a, b), c, rounding)
end

--- 10^n as an amount.
function Amount.pow10(n)
  return "1" .. rep("0", n)
end

--- a / 10^d as decimal text with exactly d places (truncated representation, no rounding needed).
function Amount.fixed(a, d)
  if d == 0 then return a end
  local negative = isNeg(a)
  local m = negative and sub(a, 2) or a
  if #m <= d then m = rep("0", d - #m + 1) .. m end
  local text = sub(m, 1, #m - d) .. "." .. sub(m, #m - d + 1)
  return negative and "-" .. text or text
end

_G.Amount = Amount
