-- ladder: the market maker's pure maths (global `Ladder`), Hummingbot's pure market making in
-- exact integers. Prices are quote atomic units per whole base (unit = 10^baseDenomination base
-- atomic units); sizes are base atomic units; rates are bps. Rounding, each stated:
--   bid_l  = floor(p * (10000 - bidSpread - l*levelSpread) / (10000 * tick)) * tick   (down)
--   ask_l  = ceil (p * (10000 + askSpread + l*levelSpread) / (10000 * tick)) * tick   (up)
--            (Hummingbot floors both; rounding asks up never quotes tighter than configured)
--   size_l = floor((amount + l*levelAmount) * skew / lot) * lot, skew an exact fraction
--   value  = floor(base * p / unit)     (quote value of a base amount)
-- Inventory skew follows hummingbot's inventory_skew_calculator (np.interp, clamped), as an
-- exact fraction num/den of the buy size; the sell fraction is (2*den - num)/den.

local A = Amount
local Ladder = {}

function Ladder.bidPrice(p, bps, tick)
  if bps >= 10000 then return "0" end
  local q = A.div(A.mul(p, A.of(10000 - bps)), A.mul("10000", tick), "floor")
  return A.mul(q, tick)
end

function Ladder.askPrice(p, bps, tick)
  local q = A.div(A.mul(p, A.of(10000 + bps)), A.mul("10000", tick), "ceil")
  return A.mul(q, tick)
end

function Ladder.floorLot(q, lot) return A.mul(A.div(q, lot, "floor"), lot) end

--- Parses a decimal multiplier ("1", "0.5", "2.25") as an integer number of 1/10000ths.
function Ladder.scaled(text)
  local whole, frac = string.match(text or "", "^(%d+)%.?(%d*)$")
  if whole == nil or #frac > 4 or #whole > 6 then return nil end
  return tonumber(whole) * 10000 + tonumber((frac .. "0000"):sub(1, 4))
end

--- The base proposal: buys and sells (level order), each { side, level, price, size }.
function Ladder.proposal(c, p)
  local buys, sells = {}, {}
  for l = 0, c.orderLevels - 1 do
    local size = A.add(c.orderAmount, A.mul(A.of(l), c.orderLevelAmount))
    local bid = Ladder.bidPrice(p, c.bidSpreadBps + l * c.orderLevelSpreadBps, c.tickSize)
    if A.cmp(bid, "0") > 0 then buys[#buys + 1] = { side = "buy", level = l, price = bid, size = size } end
    sells[#sells + 1] = { side = "sell", level = l, price = Ladder.askPrice(p, c.askSpreadBps + l * c.orderLevelSpreadBps, c.tickSize), size = size }
  end
  return buys, sells
end

--- Total order size of both sides: 2 * (L * amount + L(L-1)/2 * levelAmount), base atomic units.
function Ladder.totalSize(c)
  local L = c.orderLevels
  return A.mul("2", A.add(A.mul(A.of(L), c.orderAmount), A.mul(A.of(L * (L - 1) // 2), c.orderLevelAmount)))
end

--- Inventory skew as fractions: returns bidNum, askNum, den (sizes are multiplied by num/den).
-- base, quote: total balances; p: price; unit: 10^baseDenomination; targetBps; range10k: the
-- inventory range in base atomic units times 10000 (total size x multiplier in 1/10000ths).
function Ladder.skew(base, quote, p, unit, targetBps, range10k)
  -- every value below is scaled by 2 * unit * 10000 so the maths stays in integers
  local bp = A.mul(A.mul(base, p), "20000")                          -- base value
  local v = A.mul(A.add(A.mul(base, p), A.mul(quote, unit)), "20000") -- portfolio value
  if A.cmp(v, "0") <= 0 then return "0", "0", "1" end
  local rv = A.min(A.mul(A.mul(range10k, p), "2"), A.div(v, "2", "floor"))
  if A.cmp(rv, "0") <= 0 then return "0", "0", "1" end
  local tv = A.mul(A.add(A.mul(base, p), A.mul(quote, unit)), A.mul("2", A.of(targetBps)))
  local num, den
  if A.cmp(bp, tv) < 0 then
    -- below target: bid = 2 - (bp - lo) / (tv - lo), bp clamped to [lo, tv]
    local lo = A.max(A.sub(tv, rv), "0")
    local x = A.max(bp, lo)
    den = A.sub(tv, lo)
    num = A.sub(A.mul("2", den), A.sub(x, lo))
  else
    -- at or above target: bid = 1 - (bp - tv) / rv, bp clamped to [tv, tv + rv]
    local x = A.min(bp, A.add(tv, rv))
    den = rv
    num = A.sub(rv, A.sub(x, tv))
  end
  return num, A.sub(A.mul("2", den), num), den
end

--- Value of a base amount in quote atomic units at price p (floor).
function Ladder.value(base, p, unit) return A.div(A.mul(base, p), unit, "floor") end

--- True when every proposed price is within tolBps of the current one (same counts, sorted).
function Ladder.withinTolerance(current, proposed, tolBps)
  if tolBps < 0 then return false end
  if #current ~= #proposed then return false end
  for i = 1, #current do
    local cur, new = current[i], proposed[i]
    -- replace when |new - cur| / cur > tol  <=>  |new - cur| * 10000 > tol * cur
    if A.cmp(A.mul(A.abs(A.sub(new, cur)), "10000"), A.mul(A.of(tolBps), cur)) > 0 then return false end
  end
  return true
end

_G.Ladder = Ladder
