-- subscriptions: topics an agent publishes to registered subscribers (global `Subscriptions`),
-- after Botega's subscribable package, with its quirks fixed: payments are metered in time,
-- credited to the X-Subscriber id, never read with tonumber; subscribers are notified in sorted
-- id order, so the outbox never depends on the hash seed.
--
--   Subscriptions.setup{ blueprint = "market-maker", topics = { "quotes", ... },
--                        pricing = function() return { token, price, periodMs, paidTopics } or nil end,
--                        maxSubscribers = 256 }
--     pricing defaults to Subscriptions.configPricing (the agent's subscription* Config keys);
--     paidTopics = nil means every topic is paid, {} none.
--     adds the handlers below (call it once per boot, before the blueprint's own handlers).
--   Subscriptions.notify(topic, payload, msg)   one Notify-On-Topic message per subscriber of
--     `topic` whose access is current, in sorted id order; payload.timestamp = msg.Timestamp;
--     returns the event's Event-Seq (the counter advances for every event, delivered or not).
--   Subscriptions.count(topic) how many subscribers registered `topic` (paid up or not).
--   Subscriptions.list()      the Get-Subscriptions rows.
--
-- Handlers (any sender):
--   Register-Subscriber {Topics = JSON array}   subscriber = msg.From; the Owner may name another
--     with a Subscriber tag (whitelisted: paid topics are free). Replaces the topic set.
--     -> Register-Subscriber-Confirmation {Subscriber, Topics, Status = OK, Whitelisted}
--        or Register-Subscriber-Error {Error}
--   Unsubscribe {Topics?}    (the Owner may name a Subscriber) -> Unsubscribe-Confirmation
--   Get-Subscriptions        -> Data JSON [{subscriber, topics, paidUntil?, whitelisted}]
--   Credit-Notice with X-Action = Pay-For-Subscription [X-Subscriber]: from the pricing token,
--     extends paidUntil by floor(Quantity * periodMs / price) ms (rounded down, for the agent)
--     from max(now, paidUntil) -> Pay-For-Subscription-Confirmation to the payer. From another
--     token, or when the agent sets no price, or when it is full: the quantity is transferred
--     back to the payer with X-Error (and X-Action = Subscription-Payment-Refund).
--
-- State (kept across re-boots): Subscribers[id] = { topics = { name = true }, paidUntil = ms,
-- whitelisted = bool }, EventSeq.

local Amount = Amount
local sort, concat = table.sort, table.concat
local type, pairs, ipairs, tostring = type, pairs, ipairs, tostring

Subscribers = Subscribers or {}
EventSeq = EventSeq or 0

local Subscriptions = {}
--- Pricing from the agent's Config keys (subscriptionToken, subscriptionPrice, subscriptionPeriodMs,
-- paidTopics; see subscriptionConfigShape in config-spec.ts): nil when no token or a zero price.
function Subscriptions.configPricing()
  local c = Config
  if type(c) ~= "table" or type(c.subscriptionToken) ~= "string" or c.subscriptionToken == ""
    or type(c.subscriptionPrice) ~= "string" or c.subscriptionPrice == "0" then
    return nil
  end
  return { token = c.subscriptionToken, price = c.subscriptionPrice, periodMs = c.subscriptionPeriodMs, paidTopics = c.paidTopics or {} }
end

local options = { blueprint = "agent", topics = {}, known = {}, pricing = Subscriptions.configPricing, maxSubscribers = 256 }
local cache = nil -- topic -> sorted subscriber ids; rebuilt after any change

local function invalidate() cache = nil end

local function build()
  cache = {}
  local ids = {}
  for id in pairs(Subscribers) do ids[#ids + 1] = id end
  sort(ids)
  for _, topic in ipairs(options.topics) do
    local list = {}
    for _, id in ipairs(ids) do
      if Subscribers[id].topics[topic] then list[#list + 1] = id end
    end
    cache[topic] = list
  end
  cache["*"] = ids
end

local function sortedTopics(set)
  local out = {}
  for name in pairs(set) do out[#out + 1] = name end
  sort(out)
  return out
end

local function count()
  local n = 0
  for _ in pairs(Subscribers) do n = n + 1 end
  return n
end

-- pricing: { token, price (amount), periodMs (integer), paidTopics (list or nil = all) } or nil
local function pricing()
  local p = options.pricing()
  if type(p) ~= "table" or type(p.token) ~= "string" or p.token == "" or type(p.price) ~= "string"
    or Amount.cmp(p.price, "0") <= 0 or type(p.periodMs) ~= "number" or p.periodMs <= 0 then
    return nil
  end
  return p
end

local function isPaidTopic(p, topic)
  if p == nil then return false end
  if p.paidTopics == nil then return true end
  for _, t in ipairs(p.paidTopics) do if t == topic then return true end end
  return false
end

-- Parses a Topics tag: a JSON array of known topic names (at least one) -> set, or nil, error.
local function parseTopics(text, allowEmpty)
  if type(text) ~= "string" then return nil, "Topics must be a JSON array of topic names" end
  local ok, list = pcall(json.decode, text)
  if not ok or type(list) ~= "table" then return nil, "Topics must be a JSON array of topic names" end
  local set, n = {}, 0
  for i, name in pairs(list) do
    if type(i) ~= "number" or type(name) ~= "string" then return nil, "Topics must be a JSON array of topic names" end
    if not options.known[name] then
      return nil, "unknown topic '" .. name .. "' (topics: " .. concat(options.topics, ", ") .. ")"
    end
    if not set[name] then set[name] = true; n = n + 1 end
  end
  if n == 0 and not allowEmpty then return nil, "Topics must name at least one topic" end
  return set, n
end

local function subscriberOf(msg)
  local named = msg.Tags.Subscriber
  if named ~= nil and msg.From == Owner then
    if type(named) ~= "string" or named == "" or #named > 128 then return nil, false, "bad Subscriber" end
    return named, true
  end
  return msg.From, false
end

--- Registers the handlers (once per boot).
function Subscriptions.setup(opts)
  options.blueprint = opts.blueprint or options.blueprint
  options.topics = {}
  options.known = {}
  for _, t in ipairs(opts.topics or {}) do
    options.topics[#options.topics + 1] = t
    options.known[t] = true
  end
  sort(options.topics)
  if opts.pricing then options.pricing = opts.pricing end
  if opts.maxSubscribers then options.maxSubscribers = opts.maxSubscribers end
  invalidate()

  Handlers.add("subscriptions.register", "Register-Subscriber", function(msg)
    local id, whitelisted, err = subscriberOf(msg)
    local topics
    if id then
      topics, err = parseTopics(msg.Tags.Topics, false)
    end
    if not topics then
      return msg.reply({ Action = "Register-Subscriber-Error", Error = err })
    end
    local entry = Subscribers[id]
    if entry == nil then
      if count() >= options.maxSubscribers then
        return msg.reply({ Action = "Register-Subscriber-Error", Error = "subscriber limit reached (" .. options.maxSubscribers .. ")" })
      end
      entry = { topics = {}, whitelisted = false }
      Subscribers[id] = entry
    end
    entry.topics = topics
    if whitelisted then entry.whitelisted = true end
    invalidate()
    msg.reply({
      Action = "Register-Subscriber-Confirmation",
      Subscriber = id,
      Topics = json.encode(sortedTopics(topics)),
      Whitelisted = tostring(entry.whitelisted),
      Status = "OK",
    })
  end)

  Handlers.add("subscriptions.unsubscribe", "Unsubscribe", function(msg)
    local id, _, err = subscriberOf(msg)
    local remove
    if id and msg.Tags.Topics ~= nil then
      remove, err = parseTopics(msg.Tags.Topics, true)
      if remove then err = nil end
    end
    if not id or err then return msg.reply({ Action = "Unsubscribe-Error", Error = err }) end
    local entry = Subscribers[id]
    if entry ~= nil then
      if remove == nil then
        entry.topics = {}
      else
        for name in pairs(remove) do entry.topics[name] = nil end
      end
      -- an entry without topics is kept only while it holds paid time or a whitelisting
      if next(entry.topics) == nil and not entry.whitelisted and (entry.paidUntil or 0) <= (msg.Timestamp or 0) then
        Subscribers[id] = nil
      end
      invalidate()
    end
    local left = Subscribers[id] and sortedTopics(Subscribers[id].topics) or {}
    msg.reply({ Action = "Unsubscribe-Confirmation", Subscriber = id, Topics = json.encode(left), Status = "OK" })
  end)

  Handlers.add("subscriptions.list", "Get-Subscriptions", function(msg)
    msg.reply({ Action = "Subscriptions", Data = json.encode(Subscriptions.list()), ["Content-Type"] = "application/json" })
  end)

  Handlers.add("subscriptions.pay", function(m)
    return m.Action == "Credit-Notice" and m.Tags["X-Action"] == "Pay-For-Subscription"
  end, function(msg)
    local payer = msg.Tags.Sender
    local quantity = Amount.parse(msg.Tags.Quantity)
    if type(payer) ~= "string" or payer == "" or quantity == nil or quantity == "0" then return end -- not a token's notice
    local id = msg.Tags["X-Subscriber"] or payer
    local p = pricing()
    local reason
    if p == nil then
      reason = "this agent sells no subscriptions"
    elseif msg.From ~= p.token then
      reason = "payments are accepted in " .. p.token .. " only"
    elseif #id > 128 then
      reason = "bad X-Subscriber"
    elseif Subscribers[id] == nil and count() >= options.maxSubscribers then
      reason = "subscriber limit reached"
    end
    if reason then
      Send({ Target = msg.From, Action = "Transfer", Recipient = payer, Quantity = quantity,
        ["X-Action"] = "Subscription-Payment-Refund", ["X-Error"] = reason })
      return Send({ Target = payer, Action = "Pay-For-Subscription-Error", Error = reason, Quantity = quantity })
    end
    -- rounding: the time bought is floor(quantity * periodMs / price) ms, in the agent's favour
    local bought = Amount.mulDiv(quantity, Amount.of(p.periodMs), p.price, "floor")
    local entry = Subscribers[id]
    if entry == nil then
      entry = { topics = {}, whitelisted = false }
      Subscribers[id] = entry
      invalidate()
    end
    local now = Amount.of(msg.Timestamp or 0)
    local from = entry.paidUntil and Amount.max(Amount.of(entry.paidUntil), now) or now
    local untilMs = Amount.add(from, bought)
    entry.paidUntil = Amount.toInteger(untilMs) or math.maxinteger
    Send({ Target = payer, Action = "Pay-For-Subscription-Confirmation", Subscriber = id, Quantity = quantity,
      ["Paid-Until"] = tostring(entry.paidUntil) })
  end)
end

--- Number of subscribers registered for `topic` (any access state).
function Subscriptions.count(topic)
  if cache == nil then build() end
  local list = cache[topic]
  return list and #list or 0
end

--- Publishes one event: returns its Event-Seq.
function Subscriptions.notify(topic, payload, msg)
  EventSeq = EventSeq + 1
  if cache == nil then build() end
  local list = cache[topic]
  if list == nil or #list == 0 then return EventSeq end
  local now = msg.Timestamp or 0
  payload.timestamp = now
  local data = json.encode(payload)
  local seq = tostring(EventSeq)
  local p = pricing()
  local paid = isPaidTopic(p, topic)
  for i = 1, #list do
    local id = list[i]
    local entry = Subscribers[id]
    if not paid or entry.whitelisted or (entry.paidUntil or 0) > now then
      Send({ Target = id, Action = "Notify-On-Topic", Topic = topic, ["Event-Seq"] = seq,
        Blueprint = options.blueprint, ["Content-Type"] = "application/json", Data = data })
    end
  end
  return EventSeq
end

--- The Get-Subscriptions rows, sorted by subscriber.
function Subscriptions.list()
  if cache == nil then build() end
  local rows = {}
  for _, id in ipairs(cache["*"]) do
    local entry = Subscribers[id]
    rows[#rows + 1] = { subscriber = id, topics = sortedTopics(entry.topics), paidUntil = entry.paidUntil,
      whitelisted = entry.whitelisted }
  end
  return rows
end

_G.Subscriptions = Subscriptions
