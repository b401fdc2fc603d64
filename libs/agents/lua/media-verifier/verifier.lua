-- media-verifier: reads a piece of media from Arweave (ao.read), decodes and hashes it in the
-- media codec library (ao.wasm), and tells whether it is original or a copy of media seen before.
-- Needs Amount, Subscriptions, Agent (libs/agents/lua/lib) and MediaRegistry (registry.lua).
-- Globals from the boot code: Config, ConfigSpec. The codec is the library the Process item
-- names in its Wasm-Library tag.
--
-- Handlers (besides the management contract and subscriptions):
--   Verify-Media {Media-Id}            anyone, while Running (Config.feeToken set: pay instead)
--   Credit-Notice {X-Action = Verify-Media, X-Media-Id}   a paid request from Config.feeToken
--   Register-Reference {Media-Id | Hash [, AHash], Author?, Label?}   Owner or Config.attestors
--   Find-Similar {Hash, Max-Distance?}  anyone
--   Get-Result {Request-Id}             anyone
-- Verdicts: original, identical, near-duplicate, low-detail, unsupported, too-large.
-- State (kept across re-boots): Results[requestId], ResultOrder, VerdictCounts, plus the registry.

local Amount, Subscriptions, Agent, R = Amount, Subscriptions, Agent, MediaRegistry
local type, tostring, tonumber, ipairs, pairs = type, tostring, tonumber, ipairs, pairs
local sort = table.sort

local BLUEPRINT, VERSION = "media-verifier", "1.0.0"
CodecId = ao.env.Process.Tags["Wasm-Library"]
local ALGO = "dhash64+ahash64/L24/area-int/v1"
local KEEP_RESULTS = 10000
local VERDICTS = { "original", "identical", "near-duplicate", "low-detail", "unsupported", "too-large" }

Results = Results or {}
ResultOrder = ResultOrder or {}
VerdictCounts = VerdictCounts or {}

local function isAttestor(address)
  if address == Owner then return true end
  for _, a in ipairs(Config.attestors or {}) do
    if a == address then return true end
  end
  return false
end

local function keep(result)
  Results[result.requestId] = result
  ResultOrder[#ResultOrder + 1] = result.requestId
  if #ResultOrder > KEEP_RESULTS then
    Results[table.remove(ResultOrder, 1)] = nil
  end
  VerdictCounts[result.verdict] = (VerdictCounts[result.verdict] or 0) + 1
end

-- Every field as a tag (names in Tag-Case), and the same as JSON data.
local TAGS = {
  { "requestId", "Request-Id" }, { "mediaId", "Media-Id" }, { "author", "Author" }, { "contentType", "Content-Type-Declared" },
  { "size", "Size" }, { "blockHeight", "Block-Height" }, { "sha256", "Content-Sha256" }, { "format", "Format" },
  { "width", "Width" }, { "height", "Height" }, { "dhash", "DHash" }, { "ahash", "AHash" }, { "variance", "Variance" },
  { "verdict", "Verdict" }, { "reason", "Reason" }, { "nearestId", "Nearest-Id" }, { "nearestAuthor", "Nearest-Author" },
  { "nearestDistance", "Nearest-Distance" }, { "nearestAHashDistance", "Nearest-AHash-Distance" },
  { "nearestBlockHeight", "Nearest-Block-Height" }, { "requester", "Requester" }, { "algorithm", "Algorithm" },
  { "codec", "Codec" }, { "timestamp", "Verified-At" },
}

local function resultMessage(result, target)
  local m = { Target = target, Action = "Verification-Result", Data = json.encode(result), ["Content-Type"] = "application/json" }
  for _, pair in ipairs(TAGS) do
    local v = result[pair[1]]
    if v ~= nil then m[pair[2]] = tostring(v) end
  end
  return m
end

local function publish(result, msg)
  Subscriptions.notify("verifications", result, msg)
  if result.verdict == "near-duplicate" or result.verdict == "identical" then
    Subscriptions.notify("duplicate-alerts", result, msg)
  end
end

-- Entries that count as earlier than an item uploaded at `height` (not the item itself).
local function earlierThan(id, height)
  return function(e) return e.id ~= id and (e.blockHeight or 0) <= height end
end

--- Reads, decodes and judges one item; answers the result table, or nil, code, reason when the
-- item cannot be read (nothing is recorded then).
local function analyze(mediaId, msg)
  local item, code, why = ao.read(mediaId, { data = false })
  if not item then return nil, code, why end
  local r = {
    requestId = msg.Id, mediaId = mediaId, author = item.Owner, contentType = item.Tags["Content-Type"],
    size = item.Size, blockHeight = item["Block-Height"], requester = msg.From, algorithm = ALGO,
    codec = CodecId, timestamp = Agent.now(msg),
  }
  if item.Size > Config.maxBytes then
    r.verdict, r.reason = "too-large", "the item has " .. item.Size .. " bytes, more than maxBytes " .. Config.maxBytes
    return r
  end
  local out, ccode, cwhy = ao.wasm(CodecId, "analyze", "maxPixels=" .. Config.maxPixels, item)
  if not out then return nil, ccode, cwhy end
  local a = json.decode(out)
  r.sha256, r.format, r.width, r.height = a.sha256, a.format, a.width, a.height
  local earlier = earlierThan(mediaId, r.blockHeight)
  local same = R.bySha(a.sha256, earlier)
  if same then
    r.verdict, r.reason = "identical", "same content (SHA-256) as an earlier item"
    r.nearestId, r.nearestAuthor, r.nearestDistance, r.nearestBlockHeight = same.id, same.author, 0, same.blockHeight
    return r
  end
  if not a.ok then
    r.verdict = a.error == "too-large" and "too-large" or "unsupported"
    r.reason = a.error .. ": " .. (a.reason or "")
    return r
  end
  r.dhash, r.ahash, r.variance = a.dhash, a.ahash, R.variance(a.grid8x8)
  if r.variance < Config.lowDetailMinVariance then
    r.verdict, r.reason = "low-detail", "too little detail to hash reliably (variance " .. r.variance .. ")"
    return r
  end
  local nearest = R.search(a.dhash, Config.nearDuplicateMaxDistance, earlier, 1)[1]
  if nearest then
    local e = nearest.entry
    r.nearestId, r.nearestAuthor, r.nearestDistance, r.nearestBlockHeight = e.id, e.author, nearest.distance, e.blockHeight
    r.nearestAHashDistance = e.ahash and R.distance(a.ahash, e.ahash) or nil
    if nearest.distance <= Config.identicalMaxDistance and e.width == a.width and e.height == a.height and e.format == a.format
      and (r.nearestAHashDistance or 0) <= Config.identicalMaxDistance then
      r.verdict, r.reason = "identical", "the same picture (same size and format) as an earlier item"
    else
      r.verdict, r.reason = "near-duplicate", "within " .. Config.nearDuplicateMaxDistance .. " bits (dHash) of an earlier item"
    end
    return r
  end
  r.verdict = "original"
  return r
end

local function register(r, kind, label)
  return R.add({ id = r.mediaId, author = r.author, sha256 = r.sha256, dhash = r.dhash, ahash = r.ahash, format = r.format,
    width = r.width, height = r.height, size = r.size, blockHeight = r.blockHeight, kind = kind, label = label })
end

local function refund(msg, reason)
  if msg.Action ~= "Credit-Notice" or msg.Tags.Quantity == nil or Amount.isZero(msg.Tags.Quantity) then return end
  Send({ Target = msg.From, Action = "Transfer", Recipient = msg.Tags.Sender, Quantity = msg.Tags.Quantity,
    ["X-Error"] = reason, ["X-Action"] = "Verify-Media-Refund", ["X-Request-Id"] = msg.Id })
end

local function fail(msg, code, reason, target)
  refund(msg, code)
  Send({ Target = target or msg.From, Action = "Verify-Media-Error", Error = code, Reason = reason,
    ["Request-Id"] = msg.Id, ["X-Reference"] = msg.Tags.Reference })
end

local function verify(msg, mediaId, requester)
  if Status ~= "Running" then return fail(msg, "not-running", "the verifier is " .. Status, requester) end
  if type(mediaId) ~= "string" or mediaId == "" then return fail(msg, "missing-media-id", "name the item in a Media-Id tag", requester) end
  local r, code, why = analyze(mediaId, msg)
  if not r then return fail(msg, code, why, requester) end
  r.requester = requester
  if r.verdict == "original" then register(r, "original") end
  keep(r)
  Send(resultMessage(r, requester))
  publish(r, msg)
end

local function spec() return ConfigSpec end

Subscriptions.setup({ blueprint = BLUEPRINT, topics = { "verifications", "duplicate-alerts", "config", "status" } })
Agent.setup({
  blueprint = BLUEPRINT, version = VERSION, spec = spec(),
  info = function()
    local counts = {}
    for _, v in ipairs(VERDICTS) do counts[v] = VerdictCounts[v] or 0 end
    return { verdicts = counts, registry = R.size(), results = #ResultOrder, codec = CodecId, algorithm = ALGO }
  end,
})

Handlers.add("media.verify", "Verify-Media", function(msg)
  if Config.feeToken ~= "" and not Amount.isZero(Config.feeAmount) and msg.From ~= Owner then
    return fail(msg, "payment-required", "pay " .. Config.feeAmount .. " of token " .. Config.feeToken .. " with X-Action = Verify-Media")
  end
  verify(msg, msg.Tags["Media-Id"], msg.From)
end)

Handlers.add("media.verify-paid", function(msg)
  return msg.Action == "Credit-Notice" and msg.Tags["X-Action"] == "Verify-Media"
end, function(msg)
  local payer = msg.Tags.Sender
  if Config.feeToken == "" or msg.From ~= Config.feeToken then
    -- not our fee token: give it back to whoever sent it (the token is msg.From)
    refund(msg, "wrong-token")
    return
  end
  if Amount.cmp(msg.Tags.Quantity, Config.feeAmount) < 0 then
    return fail(msg, "insufficient-fee", "the fee is " .. Config.feeAmount, payer)
  end
  verify(msg, msg.Tags["X-Media-Id"], payer)
end)

Handlers.add("media.register-reference", "Register-Reference", function(msg)
  if not isAttestor(msg.From) then return msg.reply({ Action = "Register-Reference-Error", Error = "not-attestor" }) end
  local entry
  if msg.Tags["Media-Id"] then
    local r, code, why = analyze(msg.Tags["Media-Id"], msg)
    if not r then return msg.reply({ Action = "Register-Reference-Error", Error = code, Reason = why }) end
    if not r.dhash then return msg.reply({ Action = "Register-Reference-Error", Error = r.verdict, Reason = r.reason }) end
    if Media[r.mediaId] then return msg.reply({ Action = "Register-Reference-Error", Error = "already-registered" }) end
    entry = register(r, "reference", msg.Tags.Label)
  else
    local hash = msg.Tags.Hash
    if not R.parse(hash) or (msg.Tags.AHash and not R.parse(msg.Tags.AHash)) then
      return msg.reply({ Action = "Register-Reference-Error", Error = "bad-hash", Reason = "Hash (and AHash) must be 16 hex digits" })
    end
    entry = R.add({ id = "ref:" .. msg.Id, author = msg.Tags.Author or msg.From, dhash = hash:lower(), ahash = msg.Tags.AHash and msg.Tags.AHash:lower(),
      blockHeight = msg["Block-Height"], kind = "reference", label = msg.Tags.Label })
  end
  msg.reply({ Action = "Register-Reference-Confirmation", ["Reference-Id"] = entry.id, Registry = tostring(R.size()) })
end)

Handlers.add("media.find-similar", "Find-Similar", function(msg)
  local max = tonumber(msg.Tags["Max-Distance"] or Config.nearDuplicateMaxDistance)
  if not R.parse(msg.Tags.Hash) or not max or max ~= max // 1 or max < 0 or max > 16 then
    return msg.reply({ Action = "Find-Similar-Error", Error = "bad-request", Reason = "Hash: 16 hex digits; Max-Distance: 0..16" })
  end
  local out = {}
  for i, f in ipairs(R.search(msg.Tags.Hash, max // 1, nil, 20)) do
    local e = f.entry
    out[i] = { id = e.id, author = e.author, distance = f.distance, dhash = e.dhash, ahash = e.ahash, kind = e.kind,
      blockHeight = e.blockHeight, label = e.label }
  end
  msg.reply({ Action = "Find-Similar-Result", Count = tostring(#out), Data = json.encode(out), ["Content-Type"] = "application/json" })
end)

Handlers.add("media.get-result", "Get-Result", function(msg)
  local r = Results[msg.Tags["Request-Id"] or ""]
  if not r then return msg.reply({ Action = "Get-Result-Error", Error = "not-found" }) end
  local m = resultMessage(r, msg.From)
  m.Target = nil
  msg.reply(m)
end)
