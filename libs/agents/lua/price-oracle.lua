-- price-oracle: publishes prices on topic `prices` (Notify-On-Topic to each subscriber, sorted).
-- Prices are integer strings (quote atomic units per whole base). Sources (Config.mode):
--   series  each cron Tick publishes the next value of Config.series (wrapping when loop)
--   walk    each Tick moves the last price by a seeded pseudo-random step of at most
--           walk.stepBps: price = floor(price * (10000 + step) / 10000), step in [-stepBps, stepBps],
--           from a 64-bit xorshift PRNG seeded by walk.seed (integers only: replay-exact)
--   feed    the owner or a configured publisher sends Publish-Price {Price, Time?}
-- Queries: Get-Price -> Price {Price, Seq, Time}. Management: lib/agent.lua.

local Amount, Subscriptions, Agent = Amount, Subscriptions, Agent

LastPrice = LastPrice or nil
PriceSeq = PriceSeq or 0
SeriesIndex = SeriesIndex or 0
WalkState = WalkState or nil
LastTime = LastTime or nil

local function publish(price, time, source, msg)
  LastPrice, LastTime = price, time
  PriceSeq = PriceSeq + 1
  Subscriptions.notify("prices", { price = price, seq = PriceSeq, time = time, source = source, pair = Config.pair }, msg)
end

-- xorshift64: wraps like the 64-bit two's complement integers Lua 5.4 guarantees
local function nextRandom()
  local x = WalkState or (Config.walk.seed ~ 0x2545F4914F6CDD1D)
  if x == 0 then x = 0x2545F4914F6CDD1D end
  x = x ~ (x << 13); x = x ~ (x >> 7); x = x ~ (x << 17)
  WalkState = x
  return x
end

local function tick(msg)
  local now = Agent.now(msg)
  if Config.mode == "series" then
    local n = #Config.series
    if n == 0 then return end
    if SeriesIndex >= n then
      if not Config.loop then return end
      SeriesIndex = 0
    end
    SeriesIndex = SeriesIndex + 1
    publish(Config.series[SeriesIndex], now, "series", msg)
  elseif Config.mode == "walk" then
    local w = Config.walk
    local price = LastPrice or w.start
    local span = 2 * w.stepBps + 1
    local step = (nextRandom() >> 1) % span - w.stepBps
    price = Amount.mulDiv(price, Amount.of(10000 + step), "10000", "floor")
    if Amount.cmp(price, "1") < 0 then price = "1" end
    publish(price, now, "walk", msg)
  end
end

local function isPublisher(from)
  if from == Owner then return true end
  for _, p in ipairs(Config.publishers or {}) do if p == from then return true end end
  return false
end

Subscriptions.setup({ blueprint = "price-oracle", topics = { "config", "prices", "status" } })
Agent.setup({
  blueprint = "price-oracle", version = OracleVersion, spec = ConfigSpec,
  info = function() return { lastPrice = LastPrice, lastTime = LastTime, seq = PriceSeq, mode = Config.mode, seriesIndex = SeriesIndex } end,
  onTick = tick,
})

Handlers.add("oracle.publish", "Publish-Price", function(msg)
  if not isPublisher(msg.From) then return msg.reply({ Action = "Publish-Price-Error", Error = "not-publisher" }) end
  if Status ~= "Running" then return msg.reply({ Action = "Publish-Price-Error", Error = "not-running" }) end
  local price = Amount.parse(msg.Tags.Price)
  if price == nil or price == "0" then return msg.reply({ Action = "Publish-Price-Error", Error = "bad-price" }) end
  local time = math.tointeger(tonumber(msg.Tags.Time or "")) or Agent.now(msg)
  publish(price, time, "feed", msg)
  msg.reply({ Action = "Publish-Price-Confirmation", Price = price, Seq = tostring(PriceSeq) })
end)

Handlers.add("oracle.get-price", "Get-Price", function(msg)
  msg.reply({ Action = "Price", Price = LastPrice, Seq = tostring(PriceSeq), Time = LastTime and tostring(LastTime) or nil })
end)
