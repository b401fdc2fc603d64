-- market-maker: Hummingbot's pure market making as an ao process, quoting on an order-book
-- process. Each cron Tick asks the venue for its book (Get-Book: levels, top, last trade and this
-- agent's balances and open orders); the Book reply runs one cycle at its timestamp:
--   reference price (venue-mid | last-trade | oracle) -> kill switch -> proposal (levels) ->
--   ceiling/floor and ping-pong -> inventory skew -> budget -> drop takers -> cancels (max age,
--   minimum spread, refresh with tolerance) -> creates (when none remain and CreateAt < now)
-- and sends at most one Batch-Orders (cancels, then places: atomic at the venue).
-- Paper mode sends no orders: its orders fill (fully, at their price) when the venue's public
-- trades or book cross them (without a venue: when the reference price does); balances simulated.
-- With tickOn = "price", each oracle price runs a cycle at the price's own time (backtests).
-- PnL (quote atomic units, Hummingbot's performance maths, floor rounding of each value):
--   hold = value(startBase) + startQuote;  tradePnl = value(bought - sold) + (sellQuote - buyQuote)
--   fees = sum of fees in quote (a base fee valued floor(fee * fillPrice / unit));
--   total = tradePnl - fees;  returnPpm = floor(total * 1e6 / hold);
--   realised = floor(m * sellQuote / sold) - floor(m * buyQuote / bought), m = min(bought, sold);
--   unrealised = tradePnl - realised; equity = hold + total, drawdown = peak equity - equity,
--   maxDrawdown its largest value since Start. Kill switch: total * 10000 <= -lossBps * hold (exact).

local Amount, Subscriptions, Agent, Ladder = Amount, Subscriptions, Agent, Ladder
local A = Amount
local sort = table.sort

Active = Active or {}          -- clientOrderId -> { side, level, price, size, remaining, createdAt }
Timers = Timers or { createAt = 0, cancelAt = 0 }
CycleSeq = CycleSeq or 0
Fills = Fills or {}            -- the last 1000 fills, oldest first
FillSeq = FillSeq or 0
SeenTrades = SeenTrades or {}  -- trade id -> true for the fills kept
Session = Session or nil       -- PnL accumulators since Start
Pong = Pong or { buys = 0, sells = 0 }
Ref = Ref or nil               -- { price, time, source }
Oracle = Oracle or nil         -- { price, time }
Market = Market or nil         -- last venue snapshot's summary
Inventory = Inventory or nil
LastPnl = LastPnl or nil
Paper = Paper or nil           -- { base, quote, tradeSeq }
LastBookRef = LastBookRef or 0  -- Reference of the Get-Book whose reply ran the last cycle

local function unit() return A.pow10(Config.baseDenomination) end

-- the runtime decodes JSON Data already when Content-Type says so
local function jsonData(msg)
  if type(msg.Data) == "table" then return msg.Data end
  local ok, v = pcall(json.decode, msg.Data or "")
  if ok and type(v) == "table" then return v end
  return nil
end

local function sortedKeys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  sort(ks)
  return ks
end

local function newSession(price, base, quote, now)
  Session = { startBase = base, startQuote = quote, startPrice = price, startTime = now,
    bought = "0", sold = "0", buyQuote = "0", sellQuote = "0", fees = "0", buys = 0, sells = 0 }
end

-- PnL at price p --------------------------------------------------------------------------------
local function pnl(p)
  local s = Session
  if s == nil or p == nil then return nil end
  local U = unit()
  local hold = A.add(Ladder.value(s.startBase, p, U), s.startQuote)
  local tradePnl = A.add(A.div(A.mul(A.sub(s.bought, s.sold), p), U, "floor"), A.sub(s.sellQuote, s.buyQuote))
  local total = A.sub(tradePnl, s.fees)
  local m = A.min(s.bought, s.sold)
  local realised = "0"
  if m ~= "0" then
    realised = A.sub(A.mulDiv(m, s.sellQuote, s.sold, "floor"), A.mulDiv(m, s.buyQuote, s.bought, "floor"))
  end
  local returnPpm = hold ~= "0" and A.mulDiv(total, "1000000", hold, "floor") or "0"
  return { price = p, hold = hold, current = A.add(hold, tradePnl), tradePnl = tradePnl, fees = s.fees, total = total,
    realised = realised, unrealised = A.sub(tradePnl, realised), returnPpm = returnPpm,
    returnBps = hold ~= "0" and A.mulDiv(total, "10000", hold, "floor") or "0",
    buys = s.buys, sells = s.sells, bought = s.bought, sold = s.sold }
end

local function killSwitchTripped(r)
  local k = Config.killSwitch
  if not k.enabled or r == nil or r.hold == "0" then return false end
  return A.cmp(A.mul(r.total, "10000"), A.neg(A.mul(A.of(k.lossBps), r.hold))) <= 0
end

-- fills -------------------------------------------------------------------------------------------
local function recordFill(f, msg)
  if f.tradeId and SeenTrades[f.tradeId] then return end
  if f.tradeId then SeenTrades[f.tradeId] = true end
  FillSeq = FillSeq + 1
  f.seq = FillSeq
  f.timestamp = f.timestamp or Agent.now(msg)
  Fills[#Fills + 1] = f
  if #Fills > 1000 then
    local old = table.remove(Fills, 1)
    if old.tradeId then SeenTrades[old.tradeId] = nil end
  end
  local s = Session
  if s then
    local feeQuote = f.feeToken == "base" and A.div(A.mul(f.fee, f.price), unit(), "floor") or f.fee
    s.fees = A.add(s.fees, feeQuote)
    if f.side == "buy" then
      s.bought, s.buyQuote, s.buys = A.add(s.bought, f.quantity), A.add(s.buyQuote, f.quoteQuantity), s.buys + 1
    else
      s.sold, s.sellQuote, s.sells = A.add(s.sold, f.quantity), A.add(s.sellQuote, f.quoteQuantity), s.sells + 1
    end
  end
  Subscriptions.notify("fills", f, msg)
  if f.remaining == "0" then
    -- a full fill: ping-pong counts and the filled-order delay (strict: creates need createAt < now)
    if f.side == "buy" then Pong.buys = Pong.buys + 1 else Pong.sells = Pong.sells + 1 end
    local now = f.timestamp
    Timers.createAt = now + Config.filledOrderDelayMs
    Timers.cancelAt = math.min(Timers.cancelAt, Timers.createAt)
    if f.clientOrderId then Active[f.clientOrderId] = nil end
  end
end

-- the cycle ---------------------------------------------------------------------------------------
local function referencePrice(market)
  local src = Config.priceSource
  if src == "oracle" then return Oracle and Oracle.price end
  if market == nil then return nil end
  if src == "last-trade" then return market.lastTradePrice end
  local bb, ba = market.bestBid, market.bestAsk
  if bb and ba then return A.div(A.add(bb, ba), "2", "floor") end
  return bb or ba or market.lastTradePrice
end

-- best prices of the others: the venue's levels minus this agent's own remaining at each price
local function othersBest(levels, side)
  local own = {}
  for _, o in pairs(Active) do
    if o.side == side then own[o.price] = A.add(own[o.price] or "0", o.remaining or o.size) end
  end
  for _, lvl in ipairs(levels or {}) do
    if A.cmp(lvl[2], own[lvl[1]] or "0") > 0 then return lvl[1] end
  end
  return nil
end

local function balances(market)
  if Config.mode == "paper" then
    return { base = Paper.base, quote = Paper.quote, baseLocked = "0", quoteLocked = "0" }
  end
  local a = market and market.account
  if not a then return nil end
  return { base = A.add(a.base.available, a.base.locked), quote = A.add(a.quote.available, a.quote.locked),
    baseLocked = a.base.locked, quoteLocked = a.quote.locked }
end

local function buildProposal(p, inv, market)
  local c = Config
  local buys, sells = Ladder.proposal(c, p)
  if c.priceCeiling ~= "-1" and A.cmp(p, c.priceCeiling) >= 0 then buys = {} end
  if c.priceFloor ~= "-1" and A.cmp(p, c.priceFloor) <= 0 then sells = {} end
  if c.pingPongEnabled then
    if Pong.buys == Pong.sells then Pong.buys, Pong.sells = 0, 0 end
    if Pong.buys > 0 then buys = { table.unpack(buys, Pong.buys + 1) } end
    if Pong.sells > 0 then sells = { table.unpack(sells, Pong.sells + 1) } end
  end
  local U = unit()
  if c.inventorySkewEnabled then
    local range10k = A.mul(Ladder.totalSize(c), A.of(Ladder.scaled(c.inventoryRangeMultiplier) or 10000))
    local bidNum, askNum, den = Ladder.skew(inv.base, inv.quote, p, U, c.inventoryTargetBaseBps, range10k)
    for _, o in ipairs(buys) do o.size = A.mulDiv(o.size, bidNum, den, "floor") end
    for _, o in ipairs(sells) do o.size = A.mulDiv(o.size, askNum, den, "floor") end
  end
  -- budget: what the totals (available plus what open orders hold) can pay for, level by level
  local quoteLeft, baseLeft = inv.quote, inv.base
  for _, o in ipairs(buys) do
    o.size = Ladder.floorLot(o.size, c.lotSize)
    local cost = A.div(A.mul(o.size, o.price), U, "floor")
    if A.cmp(cost, quoteLeft) > 0 then
      o.size = Ladder.floorLot(A.div(A.mul(quoteLeft, U), o.price, "floor"), c.lotSize)
      cost = A.div(A.mul(o.size, o.price), U, "floor")
    end
    quoteLeft = A.sub(quoteLeft, cost)
  end
  for _, o in ipairs(sells) do
    o.size = Ladder.floorLot(A.min(o.size, baseLeft), c.lotSize)
    baseLeft = A.sub(baseLeft, o.size)
  end
  if not c.takeIfCrossed and market then
    local ask, bid = othersBest(market.asks, "sell"), othersBest(market.bids, "buy")
    local keep = {}
    for _, o in ipairs(buys) do if ask == nil or A.cmp(o.price, ask) < 0 then keep[#keep + 1] = o end end
    buys = keep
    keep = {}
    for _, o in ipairs(sells) do if bid == nil or A.cmp(o.price, bid) > 0 then keep[#keep + 1] = o end end
    sells = keep
  end
  local out = {}
  for _, list in ipairs({ buys, sells }) do
    for _, o in ipairs(list) do
      if A.cmp(o.size, "0") > 0 and A.div(A.mul(o.size, o.price), U, "floor") ~= "0" then out[#out + 1] = o end
    end
  end
  return out
end

local function pricesOf(list, side)
  local out = {}
  for _, o in ipairs(list) do if o.side == side then out[#out + 1] = o.price end end
  sort(out, function(a, b)
    local c = A.cmp(a, b)
    if side == "buy" then return c > 0 end
    return c < 0
  end)
  return out
end

local function activeList()
  local out = {}
  for _, id in ipairs(sortedKeys(Active)) do local o = Active[id]; o.clientOrderId = id; out[#out + 1] = o end
  return out
end

local function publishIfChanged(topic, holder, payload, msg)
  local text = json.encode(payload)
  if holder.last == text then return end
  holder.last = text
  Subscriptions.notify(topic, payload, msg)
end
Published = Published or { inventory = {}, pnl = {} }

-- paper fills: an order fills fully at its price when the market crossed it since the last cycle:
-- with a venue, a public trade at or through its price or the others' book crossing it; without
-- one (oracle backtests), the reference price reaching it
local function paperFills(p, market, msg, now)
  local lowTrade, highTrade
  for _, t in ipairs(market and market.trades or {}) do
    if lowTrade == nil or A.cmp(t.price, lowTrade) < 0 then lowTrade = t.price end
    if highTrade == nil or A.cmp(t.price, highTrade) > 0 then highTrade = t.price end
    Paper.tradeSeq = math.max(Paper.tradeSeq, t.seq)
  end
  local bestAsk = market and othersBest(market.asks, "sell")
  local bestBid = market and othersBest(market.bids, "buy")
  local U = unit()
  for _, o in ipairs(activeList()) do
    local hit
    if o.side == "buy" then
      hit = (lowTrade and A.cmp(lowTrade, o.price) <= 0) or (bestAsk and A.cmp(bestAsk, o.price) <= 0)
        or (market == nil and p and A.cmp(p, o.price) <= 0)
    else
      hit = (highTrade and A.cmp(highTrade, o.price) >= 0) or (bestBid and A.cmp(bestBid, o.price) >= 0)
        or (market == nil and p and A.cmp(p, o.price) >= 0)
    end
    if hit then
      local quote = A.div(A.mul(o.size, o.price), U, "floor")
      local fee
      if o.side == "buy" then
        fee = A.mulDiv(o.size, A.of(Config.paperFeeBps), "10000", "floor")
        Paper.base = A.add(Paper.base, A.sub(o.size, fee)); Paper.quote = A.sub(Paper.quote, quote)
      else
        fee = A.mulDiv(quote, A.of(Config.paperFeeBps), "10000", "floor")
        Paper.base = A.sub(Paper.base, o.size); Paper.quote = A.add(Paper.quote, A.sub(quote, fee))
      end
      recordFill({ tradeId = "paper-" .. o.clientOrderId, clientOrderId = o.clientOrderId, side = o.side, price = o.price,
        quantity = o.size, quoteQuantity = quote, fee = fee, feeToken = o.side == "buy" and "base" or "quote",
        remaining = "0", paper = true, timestamp = now }, msg)
    end
  end
end

local function cycle(msg, market, now, bookRef)
  CycleSeq = CycleSeq + 1
  local p = referencePrice(market)
  if Config.mode == "paper" and Paper then
    paperFills(p, market, msg, now)
    if market and market.tradeSeq then Paper.tradeSeq = math.max(Paper.tradeSeq, market.tradeSeq) end
  end
  if market and Config.mode == "live" then
    -- the venue's list of this agent's open orders is the truth: drop what is gone
    local open = {}
    for _, o in ipairs(market.account and market.account.orders or {}) do
      if o.clientOrderId then open[o.clientOrderId] = o end
    end
    for _, id in ipairs(sortedKeys(Active)) do
      local o = Active[id]
      -- an order sent after the Get-Book this snapshot answers is not in it yet: not gone
      if open[id] then o.remaining = open[id].remaining
      elseif (o.createdAt or 0) < now and (bookRef == nil or o.sentRef == nil or o.sentRef < bookRef) then Active[id] = nil end
    end
  end
  if p == nil then return end
  Ref = { price = p, time = now, source = Config.priceSource }
  local inv = balances(market)
  if inv == nil then return end
  Inventory = inv
  if Session == nil then newSession(p, inv.base, inv.quote, now) end
  local U = unit()
  local baseValue = Ladder.value(inv.base, p, U)
  local total = A.add(baseValue, inv.quote)
  publishIfChanged("inventory", Published.inventory, { base = inv.base, quote = inv.quote, baseLocked = inv.baseLocked,
    quoteLocked = inv.quoteLocked, price = p, baseShareBps = total ~= "0" and A.mulDiv(baseValue, "10000", total, "floor") or "0" }, msg)
  local r = pnl(p)
  if r then
    -- drawdown of the equity (portfolio value net of fees) from its peak since Start
    local equity = A.add(r.hold, r.total)
    Session.peak = Session.peak and A.max(Session.peak, equity) or equity
    r.drawdown = A.sub(Session.peak, equity)
    Session.maxDrawdown = A.max(Session.maxDrawdown or "0", r.drawdown)
    r.maxDrawdown = Session.maxDrawdown
  end
  LastPnl = r
  if r then publishIfChanged("pnl", Published.pnl, r, msg) end
  if killSwitchTripped(r) then
    Agent.kill(msg, "kill-switch: return " .. r.returnBps .. " bps <= -" .. Config.killSwitch.lossBps)
    return
  end

  local proposal = buildProposal(p, inv, market)
  local active = activeList()
  local cancels, keep = {}, {}
  local tooOld = false
  for _, o in ipairs(active) do
    if now - (o.createdAt or now) > Config.maxOrderAgeMs then tooOld = true end
  end
  for _, o in ipairs(active) do
    -- minimum spread: cancel an order whose distance from the price fell below the minimum
    local dist = o.side == "buy" and A.sub(p, o.price) or A.sub(o.price, p)
    if tooOld or A.cmp(A.mul(dist, "10000"), A.mul(A.of(Config.minimumSpreadBps), p)) < 0 then
      cancels[#cancels + 1] = o.clientOrderId
    else
      keep[#keep + 1] = o
    end
  end
  if #keep > 0 and now >= Timers.cancelAt then
    local within = Ladder.withinTolerance(pricesOf(keep, "buy"), pricesOf(proposal, "buy"), Config.orderRefreshToleranceBps)
      and Ladder.withinTolerance(pricesOf(keep, "sell"), pricesOf(proposal, "sell"), Config.orderRefreshToleranceBps)
    if within then
      Timers.cancelAt = now + Config.orderRefreshTimeMs
    else
      for _, o in ipairs(keep) do cancels[#cancels + 1] = o.clientOrderId end
      keep = {}
    end
  end
  local places = {}
  if #keep == 0 and Timers.createAt < now and #proposal > 0 then
    for _, o in ipairs(proposal) do
      local cid = CycleSeq .. "-" .. (o.side == "buy" and "B" or "S") .. "-" .. o.level
      places[#places + 1] = { side = o.side, price = o.price, quantity = o.size, type = "post-only", clientOrderId = cid, level = o.level }
    end
    Timers.createAt = now
    Timers.cancelAt = now + Config.orderRefreshTimeMs
  end
  if #cancels == 0 and #places == 0 then return end
  for _, id in ipairs(cancels) do Active[id] = nil end
  for _, o in ipairs(places) do
    Active[o.clientOrderId] = { side = o.side, level = o.level, price = o.price, size = o.quantity, remaining = o.quantity, createdAt = now }
  end
  if Config.mode == "live" then
    local wire = {}
    for i, o in ipairs(places) do wire[i] = { side = o.side, price = o.price, quantity = o.quantity, type = o.type, clientOrderId = o.clientOrderId } end
    Send({ Target = Config.venue, Action = "Batch-Orders", Data = json.encode({ cancel = cancels, place = wire }), ["Content-Type"] = "application/json" })
    local sent = math.tointeger(tonumber(ao.reference))
    for _, o in ipairs(places) do Active[o.clientOrderId].sentRef = sent end
  end
  if #places > 0 then
    local levels = {}
    for i, o in ipairs(places) do
      local dist = o.side == "buy" and A.sub(p, o.price) or A.sub(o.price, p)
      levels[i] = { side = o.side, level = o.level, price = o.price, quantity = o.quantity, clientOrderId = o.clientOrderId,
        spreadBps = A.mulDiv(dist, "10000", p, "floor") }
    end
    Subscriptions.notify("quotes", { cycle = CycleSeq, refPrice = p, cancelled = #cancels, levels = levels, paper = Config.mode == "paper" }, msg)
  end
end

-- management ----------------------------------------------------------------------------------------
local function onStart(msg)
  local c = Config
  if c.mode == "live" and c.venue == "" then return nil, "live mode needs a venue" end
  if c.priceSource ~= "oracle" and c.venue == "" then return nil, "price source " .. c.priceSource .. " needs a venue" end
  if c.priceSource == "oracle" and c.oracle == "" then return nil, "price source oracle needs an oracle" end
  if c.tickOn == "price" and c.priceSource ~= "oracle" then return nil, "tickOn price needs the oracle price source" end
  Session, Ref, LastPnl = nil, nil, nil
  Pong = { buys = 0, sells = 0 }
  Timers = { createAt = 0, cancelAt = 0 }
  if c.mode == "paper" then Paper = { base = c.paperBalances.base, quote = c.paperBalances.quote, tradeSeq = 0 } end
  if c.priceSource == "oracle" then
    Send({ Target = c.oracle, Action = "Register-Subscriber", Topics = json.encode({ "prices" }) })
  end
  return { mode = c.mode }
end

local function onStop(msg, why)
  local n = 0
  for _ in pairs(Active) do n = n + 1 end
  Active = {}
  if Config.mode == "live" and Config.venue ~= "" then Send({ Target = Config.venue, Action = "Cancel-All" }) end
  return { cancelled = n, why = why }
end

local function check(c)
  local problems = {}
  if Ladder.scaled(c.inventoryRangeMultiplier) == nil then
    problems[#problems + 1] = { key = "inventoryRangeMultiplier", reason = "inventoryRangeMultiplier must be a decimal like 1 or 0.5 (at most 4 places)" }
  end
  if c.bidSpreadBps + (c.orderLevels - 1) * c.orderLevelSpreadBps >= 10000 then
    problems[#problems + 1] = { key = "orderLevels", reason = "the deepest bid would be at or below zero" }
  end
  return problems
end

Subscriptions.setup({ blueprint = "market-maker", topics = { "config", "fills", "inventory", "pnl", "quotes", "status" } })
Agent.setup({
  blueprint = "market-maker", version = MarketMakerVersion, spec = ConfigSpec, check = check,
  onStart = onStart, onStop = onStop,
  info = function()
    local n = 0
    for _ in pairs(Active) do n = n + 1 end
    return { mode = Config.mode, refPrice = Ref and Ref.price, openOrders = n, fills = FillSeq, cycles = CycleSeq, pnl = LastPnl, inventory = Inventory,
      oracleSeq = Oracle and Oracle.seq }
  end,
  onTick = function(msg)
    if Config.tickOn == "price" then return end
    if Config.venue ~= "" then
      Send({ Target = Config.venue, Action = "Get-Book", Depth = "20", ["Trades-Since"] = Paper and tostring(Paper.tradeSeq) or nil })
    else
      cycle(msg, nil, Agent.now(msg))
    end
  end,
})

-- venue and oracle events ----------------------------------------------------------------------------
Handlers.add("mm.book", function(m) return m.Action == "Book" and m.From == Config.venue end, function(msg)
  if Status ~= "Running" or Config.tickOn == "price" then return end
  -- one cycle per reply to a Get-Book of ours newer than the last one used: a repeated or
  -- out-of-order older reply runs nothing, a late one still does
  local ref = math.tointeger(tonumber(msg.Tags["X-Reference"] or ""))
  if ref == nil or ref <= LastBookRef or ref > ao.reference then return end
  LastBookRef = ref
  local market = jsonData(msg)
  if market == nil then return end
  Market = { bestBid = market.bestBid, bestAsk = market.bestAsk, lastTradePrice = market.lastTradePrice, tradeSeq = market.tradeSeq }
  cycle(msg, market, Agent.now(msg), ref)
end)

Handlers.add("mm.fill", function(m) return m.Action == "Order-Fill" and m.From == Config.venue end, function(msg)
  local t = msg.Tags
  recordFill({ tradeId = t["Trade-Id"], orderId = t["Order-Id"], clientOrderId = t["Client-Order-Id"], side = t.Side, role = t.Role,
    price = t.Price, quantity = t.Quantity, quoteQuantity = t["Quote-Quantity"], fee = t.Fee,
    feeToken = t["Fee-Token"] == Config.baseToken and "base" or "quote", remaining = t.Remaining }, msg)
end)

Handlers.add("mm.batch-result", function(m) return m.Action == "Batch-Result" and m.From == Config.venue end, function(msg)
  local r = jsonData(msg)
  if r == nil then return end
  for _, row in ipairs(r.placed or {}) do
    if row.clientOrderId and (row.error or row.status == "cancelled") then Active[row.clientOrderId] = nil end
  end
end)

Handlers.add("mm.cancelled", function(m) return m.Action == "Order-Cancelled" and m.From == Config.venue end, function(msg)
  local id = msg.Tags["Client-Order-Id"]
  if id then Active[id] = nil end
end)

Handlers.add("mm.oracle", function(m) return m.Action == "Notify-On-Topic" and m.Topic == "prices" and m.From == Config.oracle end, function(msg)
  local ev = jsonData(msg)
  if ev == nil or A.parse(ev.price) == nil then return end
  local seq = math.tointeger(ev.seq) or 0
  if Oracle and Oracle.seq and seq <= Oracle.seq then return end -- a late, older price
  Oracle = { price = ev.price, time = math.tointeger(ev.time) or Agent.now(msg), seq = seq }
  if Config.tickOn == "price" and Status == "Running" then cycle(msg, nil, Oracle.time) end
end)

-- deposits: base or quote sent to the agent go on to the venue; anything else goes back
Handlers.add("mm.credit", function(m) return m.Action == "Credit-Notice" and m.Tags["X-Action"] ~= "Pay-For-Subscription" end, function(msg)
  local q, sender = A.parse(msg.Tags.Quantity), msg.Tags.Sender
  if q == nil or q == "0" or type(sender) ~= "string" then return end
  if sender == Config.venue then return end
  if (msg.From == Config.baseToken or msg.From == Config.quoteToken) and Config.venue ~= "" and Config.mode == "live" then
    return Send({ Target = msg.From, Action = "Transfer", Recipient = Config.venue, Quantity = q, ["X-Action"] = "Deposit" })
  end
  Send({ Target = msg.From, Action = "Transfer", Recipient = sender, Quantity = q, ["X-Error"] = "not-accepted", ["X-Action"] = "Refund" })
end)

Handlers.add("mm.withdraw", "Withdraw", function(msg)
  if not Agent.isOwner(msg) then return msg.reply({ Action = "Withdraw-Error", Error = "not-owner" }) end
  if Status == "Running" then return msg.reply({ Action = "Withdraw-Error", Error = "stop the agent first" }) end
  if Config.mode ~= "live" or Config.venue == "" then return msg.reply({ Action = "Withdraw-Error", Error = "nothing to withdraw in paper mode" }) end
  local token = msg.Tags.Token == "base" and Config.baseToken or (msg.Tags.Token == "quote" and Config.quoteToken or msg.Tags.Token)
  local q = A.parse(msg.Tags.Quantity)
  if (token ~= Config.baseToken and token ~= Config.quoteToken) or q == nil or q == "0" then
    return msg.reply({ Action = "Withdraw-Error", Error = "Token must be base or quote and Quantity a positive integer" })
  end
  Send({ Target = Config.venue, Action = "Withdraw", Token = token, Quantity = q, Recipient = msg.Tags.Recipient or Owner })
  msg.reply({ Action = "Withdraw-Requested", Token = token, Quantity = q })
end)

-- queries ------------------------------------------------------------------------------------------------
local function replyJson(msg, action, data)
  msg.reply({ Action = action, Data = json.encode(data), ["Content-Type"] = "application/json" })
end
Handlers.add("mm.get-quotes", "Get-Quotes", function(msg) replyJson(msg, "Quotes", { refPrice = Ref and Ref.price, orders = activeList() }) end)
Handlers.add("mm.get-inventory", "Get-Inventory", function(msg) replyJson(msg, "Inventory", Inventory or {}) end)
Handlers.add("mm.get-pnl", "Get-PnL", function(msg) replyJson(msg, "PnL", { pnl = LastPnl, session = Session }) end)
Handlers.add("mm.get-fills", "Get-Fills", function(msg)
  local from = math.tointeger(tonumber(msg.Tags["From-Seq"] or "")) or 1
  local limit = math.min(math.tointeger(tonumber(msg.Tags.Limit or "")) or 50, 500)
  local rows = {}
  for _, f in ipairs(Fills) do
    if f.seq >= from and #rows < limit then rows[#rows + 1] = f end
  end
  msg.reply({ Action = "Fills", ["Next-Seq"] = tostring(#rows > 0 and rows[#rows].seq + 1 or math.max(from, FillSeq + 1)),
    ["Fill-Seq"] = tostring(FillSeq), Data = json.encode(rows), ["Content-Type"] = "application/json" })
end)

--- For the specs: one cycle with a given market snapshot (what a Book reply carries).
function MarketMakerCycle(msg, market, now) cycle(msg, market, now) end
