-- order-book: a central-limit order book for one pair of ao tokens (base, quote).
-- Config (set by the boot code): baseToken, quoteToken, baseDenomination, tickSize, lotSize,
-- makerFeeBps, takerFeeBps, feeAccount, selfTradePrevention, maxOpenOrders, tradesKept,
-- plus the subscription keys (subscriptions.lua).
--
-- Units: quantities are base atomic units; a price is quote atomic units per whole base token
-- (10^baseDenomination base atomic units), so the quote a fill moves is its notional below.
--
-- Rounding (every division, each in one place):
--   notional  = floor(quantity * price / 10^baseDenomination)   the buyer pays it, the seller
--               receives it: the same integer, so nothing is minted or lost (buyer's favour).
--   buy lock  = floor(quantity * limitPrice / 10^baseDenomination) at placement; a fill at
--               price p <= limit takes floor(q * p / U) from it, and since floor(a)+floor(b) <=
--               floor(a+b) the lock always covers; what is left returns when the order closes.
--   fee       = floor(received * bps / 10000), in the token the party receives (trader's favour),
--               credited to feeAccount's balance in the book.
-- An order whose notional is 0 is refused (too-small). Iteration is over sorted arrays only.
--
-- Deposits: a token Credit-Notice from baseToken or quoteToken credits Sender's balance; with
-- X-Action = Place-Order it then places the order described by X- tags (X-Side, X-Price,
-- X-Quantity, X-Order-Type or X-Type, X-Client-Order-Id); a refused order refunds exactly the deposit. A notice
-- from another token, or with an unknown X-Action, is refunded with X-Error.
-- Handlers: Place-Order, Batch-Orders, Cancel-Order, Cancel-All, Withdraw, Get-Book, Get-Orders,
-- Get-Trades, Get-Balances, Info (plus Register-Subscriber etc. from subscriptions.lua).

local Amount, Subscriptions = Amount, Subscriptions
local type, tostring, ipairs, pairs = type, tostring, ipairs, pairs
local insert, remove, sort = table.insert, table.remove, table.sort
local A = Amount

Balances = Balances or {}   -- token -> account -> available amount
Locked = Locked or {}       -- token -> account -> amount locked in open orders
Orders = Orders or {}       -- order id -> order
Bids = Bids or {}           -- order ids, best first: price desc, then seq asc
Asks = Asks or {}           -- order ids, best first: price asc, then seq asc
ClientIds = ClientIds or {} -- account .. "\n" .. clientOrderId -> order id
OpenCount = OpenCount or {} -- account -> open orders
Trades = Trades or {}       -- the last Config.tradesKept trades, oldest first
TradeSeq = TradeSeq or 0
OrderSeq = OrderSeq or 0
LastTradePrice = LastTradePrice or nil

Subscriptions.setup({ blueprint = "order-book", topics = { "book", "trades" } })

local C = Config
if C.feeAccount == nil or C.feeAccount == "" then C.feeAccount = Owner end
local UNIT = A.pow10(C.baseDenomination)
local BASE, QUOTE = C.baseToken, C.quoteToken

local function bal(token, account) return (Balances[token] or {})[account] or "0" end
local function lockedOf(token, account) return (Locked[token] or {})[account] or "0" end
local function setBal(token, account, v)
  Balances[token] = Balances[token] or {}
  Balances[token][account] = v ~= "0" and v or nil
end
local function setLocked(token, account, v)
  Locked[token] = Locked[token] or {}
  Locked[token][account] = v ~= "0" and v or nil
end
local function credit(token, account, q) if q ~= "0" then setBal(token, account, A.add(bal(token, account), q)) end end
local function debit(token, account, q) setBal(token, account, A.sub(bal(token, account), q)) end

local function notional(q, price) return A.mulDiv(q, price, UNIT, "floor") end
local function fee(received, bps) return A.mulDiv(received, A.of(bps), "10000", "floor") end

-- sorted insertion: price priority, then time (seq) priority
local function better(side, a, b)
  local c = A.cmp(a.price, b.price)
  if c ~= 0 then if side == "buy" then return c > 0 else return c < 0 end end
  return a.seq < b.seq
end

local function insertOrder(o)
  local list = o.side == "buy" and Bids or Asks
  local lo, hi = 1, #list + 1
  while lo < hi do
    local mid = (lo + hi) // 2
    if better(o.side, Orders[list[mid]], o) then lo = mid + 1 else hi = mid end
  end
  insert(list, lo, o.id)
end

local function removeOrder(o)
  local list = o.side == "buy" and Bids or Asks
  for i = 1, #list do if list[i] == o.id then remove(list, i); break end end
  Orders[o.id] = nil
  if o.clientOrderId then ClientIds[o.account .. "\n" .. o.clientOrderId] = nil end
  OpenCount[o.account] = (OpenCount[o.account] or 1) - 1
  if OpenCount[o.account] <= 0 then OpenCount[o.account] = nil end
end

-- unlocks what an order still holds back to its owner's available balance
local function release(o)
  local token = o.side == "buy" and QUOTE or BASE
  setLocked(token, o.account, A.sub(lockedOf(token, o.account), o.lock))
  credit(token, o.account, o.lock)
  o.lock = "0"
end

local function view(o)
  return { id = o.id, clientOrderId = o.clientOrderId, account = o.account, side = o.side, price = o.price,
    quantity = o.quantity, remaining = o.remaining, filled = A.sub(o.quantity, o.remaining), type = o.type,
    timestamp = o.timestamp }
end

local function cancelNotice(o, reason, msg)
  Send({ Target = o.account, Action = "Order-Cancelled", ["Order-Id"] = o.id, ["Client-Order-Id"] = o.clientOrderId,
    Side = o.side, Price = o.price, Remaining = o.remaining, Reason = reason })
end

local function cancel(o, reason, msg, quiet)
  release(o)
  removeOrder(o)
  if not quiet then cancelNotice(o, reason, msg) end
end

local function pushTrade(t)
  Trades[#Trades + 1] = t
  while #Trades > C.tradesKept do remove(Trades, 1) end
end

-- one trade between the taker and the resting maker, at the maker's price
local function trade(taker, maker, q, msg)
  local price = maker.price
  local quote = notional(q, price)
  local buyer, seller = taker, maker
  if taker.side == "sell" then buyer, seller = maker, taker end
  local buyerBps = buyer == taker and C.takerFeeBps or C.makerFeeBps
  local sellerBps = seller == taker and C.takerFeeBps or C.makerFeeBps
  local buyerFee, sellerFee = fee(q, buyerBps), fee(quote, sellerBps)
  -- the buyer's quote leaves its lock; the seller's base leaves its lock
  buyer.lock = A.sub(buyer.lock, quote)
  setLocked(QUOTE, buyer.account, A.sub(lockedOf(QUOTE, buyer.account), quote))
  seller.lock = A.sub(seller.lock, q)
  setLocked(BASE, seller.account, A.sub(lockedOf(BASE, seller.account), q))
  credit(BASE, buyer.account, A.sub(q, buyerFee))
  credit(QUOTE, seller.account, A.sub(quote, sellerFee))
  credit(BASE, C.feeAccount, buyerFee)
  credit(QUOTE, C.feeAccount, sellerFee)
  taker.remaining = A.sub(taker.remaining, q)
  maker.remaining = A.sub(maker.remaining, q)
  TradeSeq = TradeSeq + 1
  LastTradePrice = price
  local t = { seq = TradeSeq, id = tostring(TradeSeq), price = price, quantity = q, quoteQuantity = quote,
    takerSide = taker.side, buyer = buyer.account, seller = seller.account, buyOrderId = buyer.id, sellOrderId = seller.id,
    buyerFee = buyerFee, sellerFee = sellerFee, timestamp = msg.Timestamp }
  pushTrade(t)
  for _, o in ipairs({ maker, taker }) do
    local isBuyer = o == buyer
    Send({ Target = o.account, Action = "Order-Fill", ["Order-Id"] = o.id, ["Client-Order-Id"] = o.clientOrderId,
      ["Trade-Id"] = t.id, Side = o.side, Role = o == taker and "taker" or "maker", Price = price, Quantity = q,
      ["Quote-Quantity"] = quote, Fee = isBuyer and buyerFee or sellerFee, ["Fee-Token"] = isBuyer and BASE or QUOTE,
      Remaining = o.remaining })
  end
  Subscriptions.notify("trades", { tradeId = t.id, price = price, quantity = q, quoteQuantity = quote,
    takerSide = taker.side, buyer = buyer.account, seller = seller.account }, msg)
  return t
end

local function crosses(o, restingPrice)
  local c = A.cmp(restingPrice, o.price)
  if o.side == "buy" then return c <= 0 end
  return c >= 0
end

local function validateOrder(account, spec)
  local side = spec.side
  if side ~= "buy" and side ~= "sell" then return nil, "bad-side" end
  local kind = spec.type or "limit"
  if kind ~= "limit" and kind ~= "post-only" and kind ~= "ioc" then return nil, "bad-type" end
  local price = A.parse(spec.price)
  if price == nil or price == "0" then return nil, "bad-price" end
  if A.mod(price, C.tickSize) ~= "0" then return nil, "price-off-tick" end
  local q = A.parse(spec.quantity)
  if q == nil or q == "0" then return nil, "bad-quantity" end
  if A.mod(q, C.lotSize) ~= "0" then return nil, "quantity-off-lot" end
  local lock = side == "buy" and notional(q, price) or q
  if lock == "0" then return nil, "too-small" end
  local cid = spec.clientOrderId
  if cid ~= nil and (type(cid) ~= "string" or #cid == 0 or #cid > 64) then return nil, "bad-client-order-id" end
  if cid ~= nil and ClientIds[account .. "\n" .. cid] then return nil, "duplicate-client-order-id" end
  if (OpenCount[account] or 0) >= C.maxOpenOrders then return nil, "too-many-orders" end
  local token = side == "buy" and QUOTE or BASE
  if A.cmp(bal(token, account), lock) < 0 then return nil, "insufficient-balance" end
  return { side = side, type = kind, price = price, quantity = q, lock = lock, clientOrderId = cid }
end

-- Places an order for `account` from its available balance: returns the result row, or nil, error.
local function place(account, spec, id, msg)
  local v, err = validateOrder(account, spec)
  if not v then return nil, err end
  local book = v.side == "buy" and Asks or Bids
  if v.type == "post-only" and #book > 0 and crosses(v, Orders[book[1]].price) then return nil, "would-take" end
  local token = v.side == "buy" and QUOTE or BASE
  debit(token, account, v.lock)
  setLocked(token, account, A.add(lockedOf(token, account), v.lock))
  OrderSeq = OrderSeq + 1
  local o = { id = id, account = account, side = v.side, type = v.type, price = v.price, quantity = v.quantity,
    remaining = v.quantity, lock = v.lock, clientOrderId = v.clientOrderId, seq = OrderSeq, timestamp = msg.Timestamp }
  Orders[id] = o
  OpenCount[account] = (OpenCount[account] or 0) + 1
  if o.clientOrderId then ClientIds[account .. "\n" .. o.clientOrderId] = id end
  local trades, stp = 0, nil
  while o.remaining ~= "0" and #book > 0 do
    local maker = Orders[book[1]]
    if not crosses(o, maker.price) then break end
    if maker.account == account then
      local mode = C.selfTradePrevention
      if mode == "cancel-resting" or mode == "cancel-both" then cancel(maker, "self-trade", msg) end
      if mode == "cancel-taking" or mode == "cancel-both" then stp = "self-trade"; break end
    else
      trade(o, maker, A.min(o.remaining, maker.remaining), msg)
      trades = trades + 1
      if maker.remaining == "0" then release(maker); removeOrder(maker) end
    end
  end
  local status
  if o.remaining == "0" then
    status = "filled"
    release(o); removeOrder(o)
  elseif stp or o.type == "ioc" then
    status = "cancelled"
    release(o); removeOrder(o)
  else
    status = "open"
    insertOrder(o)
  end
  if trades > 0 then Subscriptions.notify("book", { bestBid = Bids[1] and Orders[Bids[1]].price, bestAsk = Asks[1] and Orders[Asks[1]].price, lastTradePrice = LastTradePrice }, msg) end
  return { orderId = id, clientOrderId = o.clientOrderId, status = status, side = o.side, price = o.price,
    quantity = o.quantity, filled = A.sub(o.quantity, o.remaining), remaining = status == "open" and o.remaining or "0",
    trades = trades, reason = stp or (status == "cancelled" and "ioc" or nil) }
end

local function successTags(r)
  return { Action = "Order-Success", ["Order-Id"] = r.orderId, ["Client-Order-Id"] = r.clientOrderId, Status = r.status,
    Side = r.side, Price = r.price, Quantity = r.quantity, Filled = r.filled, Remaining = r.remaining, Reason = r.reason }
end

-- The order type is `Order-Type` (`X-Order-Type` on a deposit; `X-Type` too, as before). A bare
-- `Type` tag cannot carry it: every ao message carries `Type = Message` after its sender's tags.
local function orderSpec(tags, prefix)
  local orderType = tags[prefix .. "Order-Type"]
  if orderType == nil and prefix ~= "" then orderType = tags[prefix .. "Type"] end
  return { side = tags[prefix .. "Side"], price = tags[prefix .. "Price"], quantity = tags[prefix .. "Quantity"],
    type = orderType, clientOrderId = tags[prefix .. "Client-Order-Id"] }
end

local function findOrder(account, orderId, clientOrderId)
  local id = orderId
  if id == nil and clientOrderId ~= nil then id = ClientIds[account .. "\n" .. clientOrderId] end
  local o = id and Orders[id]
  if o and o.account == account then return o end
  return nil
end

local function refund(token, account, q, reason, msg)
  debit(token, account, q)
  Send({ Target = token, Action = "Transfer", Recipient = account, Quantity = q, ["X-Action"] = "Refund", ["X-Error"] = reason,
    ["X-Refunded-Transfer"] = msg.Id })
end

-- deposits ------------------------------------------------------------------------------------
Handlers.add("book.credit", function(m) return m.Action == "Credit-Notice" and m.Tags["X-Action"] ~= "Pay-For-Subscription" end, function(msg)
  local sender, q = msg.Tags.Sender, A.parse(msg.Tags.Quantity)
  if type(sender) ~= "string" or q == nil or q == "0" then return end
  local token, action = msg.From, msg.Tags["X-Action"]
  if token ~= BASE and token ~= QUOTE then
    return Send({ Target = token, Action = "Transfer", Recipient = sender, Quantity = q, ["X-Action"] = "Refund",
      ["X-Error"] = "unknown-token", ["X-Refunded-Transfer"] = msg.Id })
  end
  credit(token, sender, q)
  if action == nil or action == "Deposit" then
    return Send({ Target = sender, Action = "Deposit-Success", Token = token, Quantity = q, Balance = bal(token, sender) })
  end
  if action ~= "Place-Order" then
    refund(token, sender, q, "unknown-x-action", msg)
    return Send({ Target = sender, Action = "Order-Error", Error = "unknown-x-action" })
  end
  local spec = orderSpec(msg.Tags, "X-")
  if spec.quantity == nil and spec.side == "sell" then spec.quantity = q end
  local wanted = spec.side == "buy" and QUOTE or BASE
  local r, err
  if (spec.side == "buy" or spec.side == "sell") and token ~= wanted then err = "wrong-token-for-side"
  else r, err = place(sender, spec, msg.Id, msg) end
  if not r then
    refund(token, sender, q, err, msg)
    return Send({ Target = sender, Action = "Order-Error", Error = err, ["Client-Order-Id"] = spec.clientOrderId, ["Order-Id"] = msg.Id })
  end
  local tags = successTags(r)
  tags.Target = sender
  Send(tags)
end)

-- orders from the available balance ------------------------------------------------------------
Handlers.add("book.place", "Place-Order", function(msg)
  local r, err = place(msg.From, orderSpec(msg.Tags, ""), msg.Id, msg)
  if not r then return msg.reply({ Action = "Order-Error", Error = err, ["Client-Order-Id"] = msg.Tags["Client-Order-Id"], ["Order-Id"] = msg.Id }) end
  msg.reply(successTags(r))
end)

-- Data: { cancel = { "<client order id>" | { orderId = } ... }, cancelAll = bool, place = { {side, price, quantity, type, clientOrderId} ... } }
-- cancels first, then places in order; one Batch-Result with a row per item.
Handlers.add("book.batch", "Batch-Orders", function(msg)
  local batch = msg.Data
  if type(batch) ~= "table" then
    local ok, v = pcall(json.decode, batch or "")
    batch = ok and v or nil
  end
  if type(batch) ~= "table" then return msg.reply({ Action = "Batch-Error", Error = "bad-data" }) end
  local account = msg.From
  local results = { cancelled = {}, placed = {} }
  if batch.cancelAll == true then
    local ids = {}
    for _, list in ipairs({ Bids, Asks }) do for _, id in ipairs(list) do if Orders[id].account == account then ids[#ids + 1] = id end end end
    for _, id in ipairs(ids) do local o = Orders[id]; cancel(o, "cancelled", msg, true); results.cancelled[#results.cancelled + 1] = { orderId = id, clientOrderId = o.clientOrderId, remaining = o.remaining } end
  end
  for _, c in ipairs(type(batch.cancel) == "table" and batch.cancel or {}) do
    local o = type(c) == "string" and findOrder(account, nil, c) or (type(c) == "table" and findOrder(account, c.orderId, c.clientOrderId))
    if o then cancel(o, "cancelled", msg, true); results.cancelled[#results.cancelled + 1] = { orderId = o.id, clientOrderId = o.clientOrderId, remaining = o.remaining }
    else results.cancelled[#results.cancelled + 1] = { clientOrderId = type(c) == "string" and c or nil, error = "not-found" } end
  end
  for i, spec in ipairs(type(batch.place) == "table" and batch.place or {}) do
    if type(spec) ~= "table" then spec = {} end
    local r, err = place(account, spec, msg.Id .. "-" .. i, msg)
    results.placed[#results.placed + 1] = r or { clientOrderId = spec.clientOrderId, error = err }
  end
  msg.reply({ Action = "Batch-Result", Data = json.encode(results), ["Content-Type"] = "application/json" })
end)

Handlers.add("book.cancel", "Cancel-Order", function(msg)
  local o = findOrder(msg.From, msg.Tags["Order-Id"], msg.Tags["Client-Order-Id"])
  if not o then return msg.reply({ Action = "Cancel-Error", Error = "not-found", ["Order-Id"] = msg.Tags["Order-Id"], ["Client-Order-Id"] = msg.Tags["Client-Order-Id"] }) end
  cancel(o, "cancelled", msg, true)
  msg.reply({ Action = "Order-Cancelled", ["Order-Id"] = o.id, ["Client-Order-Id"] = o.clientOrderId, Side = o.side, Price = o.price, Remaining = o.remaining, Reason = "cancelled" })
end)

Handlers.add("book.cancel-all", "Cancel-All", function(msg)
  local ids = {}
  for _, list in ipairs({ Bids, Asks }) do for _, id in ipairs(list) do if Orders[id].account == msg.From then ids[#ids + 1] = id end end end
  local rows = {}
  for _, id in ipairs(ids) do local o = Orders[id]; cancel(o, "cancelled", msg, true); rows[#rows + 1] = { orderId = id, clientOrderId = o.clientOrderId, remaining = o.remaining } end
  msg.reply({ Action = "Cancel-All-Result", Cancelled = tostring(#rows), Data = json.encode(rows), ["Content-Type"] = "application/json" })
end)

Handlers.add("book.withdraw", "Withdraw", function(msg)
  local token = msg.Tags.Token
  local q = A.parse(msg.Tags.Quantity)
  local err
  if token ~= BASE and token ~= QUOTE then err = "unknown-token"
  elseif q == nil or q == "0" then err = "bad-quantity"
  elseif A.cmp(bal(token, msg.From), q) < 0 then err = "insufficient-balance" end
  if err then return msg.reply({ Action = "Withdraw-Error", Error = err }) end
  local recipient = msg.Tags.Recipient or msg.From
  debit(token, msg.From, q)
  Send({ Target = token, Action = "Transfer", Recipient = recipient, Quantity = q, ["X-Action"] = "Withdrawal" })
  msg.reply({ Action = "Withdraw-Success", Token = token, Quantity = q, Recipient = recipient, Balance = bal(token, msg.From) })
end)

-- queries -------------------------------------------------------------------------------------
local function depth(list, n)
  local levels = {}
  for _, id in ipairs(list) do
    local o = Orders[id]
    local last = levels[#levels]
    if last and last[1] == o.price then
      last[2] = A.add(last[2], o.remaining); last[3] = last[3] + 1
    else
      if #levels >= n then break end
      levels[#levels + 1] = { o.price, o.remaining, 1 }
    end
  end
  return levels
end

local function accountView(account)
  local orders = {}
  for _, list in ipairs({ Bids, Asks }) do for _, id in ipairs(list) do if Orders[id].account == account then orders[#orders + 1] = view(Orders[id]) end end end
  return { account = account, orders = orders,
    base = { available = bal(BASE, account), locked = lockedOf(BASE, account) },
    quote = { available = bal(QUOTE, account), locked = lockedOf(QUOTE, account) } }
end

local function intTag(v, default, max)
  local n = math.tointeger(tonumber(v or ""))
  if n == nil or n < 1 then return default end
  return math.min(n, max)
end

Handlers.add("book.get-book", "Get-Book", function(msg)
  local n = intTag(msg.Tags.Depth, 10, 100)
  local bestBid, bestAsk = Bids[1] and Orders[Bids[1]].price, Asks[1] and Orders[Asks[1]].price
  local since = math.tointeger(tonumber(msg.Tags["Trades-Since"] or ""))
  local recent
  if since then
    recent = {}
    for _, t in ipairs(Trades) do if t.seq > since then recent[#recent + 1] = t end end
  end
  msg.reply({ Action = "Book", ["Best-Bid"] = bestBid, ["Best-Ask"] = bestAsk, ["Last-Trade-Price"] = LastTradePrice,
    ["Trade-Seq"] = tostring(TradeSeq), ["Content-Type"] = "application/json",
    Data = json.encode({ bids = depth(Bids, n), asks = depth(Asks, n), bestBid = bestBid, bestAsk = bestAsk,
      lastTradePrice = LastTradePrice, tradeSeq = TradeSeq, trades = recent, account = accountView(msg.From) }) })
end)

Handlers.add("book.get-orders", "Get-Orders", function(msg)
  local v = accountView(msg.Tags.Account or msg.From)
  msg.reply({ Action = "Orders", Data = json.encode(v.orders), ["Content-Type"] = "application/json" })
end)

Handlers.add("book.get-balances", "Get-Balances", function(msg)
  local v = accountView(msg.Tags.Account or msg.From)
  v.orders = nil
  msg.reply({ Action = "Balances", Data = json.encode(v), ["Content-Type"] = "application/json" })
end)

Handlers.add("book.get-trades", "Get-Trades", function(msg)
  local from = math.tointeger(tonumber(msg.Tags["From-Seq"] or "")) or 1
  local limit = intTag(msg.Tags.Limit, 50, 500)
  local rows = {}
  for _, t in ipairs(Trades) do
    if t.seq >= from then
      if #rows >= limit then break end
      rows[#rows + 1] = t
    end
  end
  local nextSeq = #rows > 0 and rows[#rows].seq + 1 or math.max(from, TradeSeq + 1)
  msg.reply({ Action = "Trades", ["Next-Seq"] = tostring(nextSeq), ["Trade-Seq"] = tostring(TradeSeq),
    ["Oldest-Seq"] = Trades[1] and tostring(Trades[1].seq) or nil, Data = json.encode(rows), ["Content-Type"] = "application/json" })
end)

Handlers.add("book.info", "Info", function(msg)
  msg.reply({ Action = "Info-Response", Blueprint = "order-book", ["Blueprint-Version"] = BookVersion,
    ["Base-Token"] = BASE, ["Quote-Token"] = QUOTE, ["Base-Denomination"] = tostring(C.baseDenomination),
    ["Tick-Size"] = C.tickSize, ["Lot-Size"] = C.lotSize, ["Maker-Fee-Bps"] = tostring(C.makerFeeBps),
    ["Taker-Fee-Bps"] = tostring(C.takerFeeBps), ["Fee-Account"] = C.feeAccount,
    ["Self-Trade-Prevention"] = C.selfTradePrevention, ["Best-Bid"] = Bids[1] and Orders[Bids[1]].price,
    ["Best-Ask"] = Asks[1] and Orders[Asks[1]].price, ["Last-Trade-Price"] = LastTradePrice,
    ["Trade-Seq"] = tostring(TradeSeq), ["Open-Orders"] = tostring(#Bids + #Asks) })
end)

--- Sum of every account's available and locked balance per token (for audits and the specs).
function BookTotals()
  local out = {}
  for _, token in ipairs({ BASE, QUOTE }) do
    local sum = "0"
    for _, t in ipairs({ Balances[token] or {}, Locked[token] or {} }) do
      local accounts = {}
      for a in pairs(t) do accounts[#accounts + 1] = a end
      sort(accounts)
      for _, a in ipairs(accounts) do sum = A.add(sum, t[a]) end
    end
    out[token] = sum
  end
  return out
end
