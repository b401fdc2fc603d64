-- process: the entry point of the bundle (json, stringify, Handlers, ao, sandbox and digest are
-- locals defined above it). Host protocol: see README.md.
--
--   handle(msgJSON, envJSON) -> resultJSON
--     msg / env may also be passed already decoded (the Lua table json.decode would give)
--     result = {"Output":{"data":text,"prompt":text,"print":bool},"Messages":[...],
--               "Spawns":[...],"Assignments":[...]}            plus "Error":text when it failed
--   step(msgJSON, envJSON) -> the same result as a list of values, not encoded (see flatResult)
--   The chunk returns { handle = handle, step = step, canonicalState = fn, version = VERSION }
--   and also sets the global `handle`.

local VERSION = "2.0-ts.2"
local type, tostring, select, pcall, ipairs, error = type, tostring, select, pcall, ipairs, error
local find = string.find
local concat, tmove, pack, unpack = table.concat, table.move, table.pack, table.unpack
local rawload, stringDump = load, string.dump
local quote, escape, decode, CLEAN = json.quote, json.escape, json.decode, json.CLEAN

local MAX_INBOX, INBOX_TRIM = 10000, 1000

-- the aos programming model's globals
_G.json = json
_G.Handlers = Handlers
_G.ao = ao
Colors = { red = "\27[31m", green = "\27[32m", blue = "\27[34m", reset = "\27[0m", gray = "\27[90m" }
Bell = "\7"
Inbox = {}

local logs = {}

--- Appends its arguments (tab-separated, tables pretty-printed) as one line of Output.data.
local function emit(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do
    local v = select(i, ...)
    parts[i] = type(v) == "table" and stringify(v) or tostring(v)
  end
  logs[#logs + 1] = concat(parts, "\t", 1, n)
end
print = emit
ao.log = emit

local function defaultPrompt()
  return Colors.green .. tostring(Name or "aos") .. Colors.gray .. "@" .. Colors.blue .. "aos-" .. VERSION
    .. Colors.gray .. "[Inbox:" .. Colors.red .. tostring(#Inbox) .. Colors.gray .. "]" .. Colors.reset .. "> "
end
Prompt = defaultPrompt

--- The tags of a message as a map, first occurrence winning (aos Tab).
function Tab(msg)
  local map = {}
  for _, tag in ipairs(msg.TagArray or msg.Tags or {}) do
    if map[tag.name] == nil then map[tag.name] = tag.value end
  end
  return map
end

local function insertInbox(msg)
  local n = #Inbox + 1
  Inbox[n] = msg
  if n > MAX_INBOX then -- drop the oldest INBOX_TRIM at once: one move instead of one per message
    local keep = MAX_INBOX - INBOX_TRIM
    tmove(Inbox, n - keep + 1, n, 1)
    for i = n, keep + 1, -1 do Inbox[i] = nil end
  end
end

-- Eval: runs code as a text chunk in _G; returned values are printed (tab-separated).
local function evaluate(code)
  local fn, err = rawload("return " .. code, "aos", "t", _G)
  if not fn then fn, err = rawload(code, "aos", "t", _G) end
  if not fn then error(err, 0) end
  local out = pack(fn())
  if out.n > 0 and not (out.n == 1 and out[1] == nil) then emit(unpack(out, 1, out.n)) end
end

Handlers.add("_eval", function(msg) return msg.Action == "Eval" and Owner == msg.From end,
  function(msg) evaluate(msg.Data or "") end)

Handlers.append("_default", function() return 0 end, function(msg)
  insertInbox(msg)
  local from = msg.From and (msg.From:sub(1, 3) .. "..." .. msg.From:sub(-3)) or "unknown"
  local what
  if msg.Action then
    what = "Action = " .. Colors.blue .. tostring(msg.Action):sub(1, 20)
  else
    local data = msg.Data
    if type(data) == "table" then data = json.encode(data) end
    what = "Data = " .. Colors.blue .. tostring(data or ""):sub(1, 20)
  end
  emit(Colors.gray .. "New Message From " .. Colors.green .. from .. Colors.gray .. ": " .. what .. Colors.reset)
end)

--- Queues a message (see ao.send).
function Send(msg) return ao.send(msg) end

--- Queues a spawn: Spawn(module, msg) or Spawn(msg) for a process of this process's module.
function Spawn(...)
  local module, msg
  if select("#", ...) == 1 then module, msg = ao._module, ... else module, msg = ... end
  return ao.spawn(module, msg or {})
end

--- Queues an assignment {Processes = {...}, Message = id}.
function Assign(assignment) return ao.assign(assignment) end

-- message preparation ----------------------------------------------------------------------------

local reserved = {}
for _, k in ipairs({ "Id", "Owner", "From", "Target", "Anchor", "Data", "Tags", "TagArray", "Nonce", "Epoch",
  "Timestamp", "Block-Height", "Hash-Chain", "Cron", "Read-Only", "Forwarded-By", "Module", "Signature",
  "reply", "forward", "Data-Protocol", "Variant", "From-Process", "From-Module", "Type" }) do
  reserved[k] = true
end

-- Tags: msg.TagArray keeps the list, msg.Tags becomes a map (first wins), and each tag not
-- clashing with a standard field is copied onto msg (last wins), as aos does.
local function prepare(msg)
  local list = msg.Tags or {}
  local map = {}
  for i = 1, #list do
    local tag = list[i]
    local name, value = tag.name, tag.value
    if map[name] == nil then map[name] = value end
    if not reserved[name] then msg[name] = value end
  end
  msg.TagArray = list
  msg.Tags = map
  if msg.Data == nil then msg.Data = "" end
  if map["Content-Type"] == "application/json" then
    local ok, value = pcall(decode, msg.Data)
    if ok and type(value) == "table" then msg.Data = value end
  end

  msg.reply = function(reply)
    reply.Target = msg["Reply-To"] or reply.Target or msg.From
    reply["X-Reference"] = msg["X-Reference"] or msg.Reference
    reply["X-Origin"] = msg["X-Origin"]
    return ao.send(reply)
  end
  msg.forward = function(target, extra)
    local copy = ao.sanitize(msg)
    for k, v in pairs(extra or {}) do copy[k] = v end
    copy.Target = target
    copy["Reply-To"] = msg["Reply-To"] or msg.From
    copy["X-Reference"] = msg["X-Reference"] or msg.Reference
    copy["X-Origin"] = msg["X-Origin"] or msg.From
    return ao.send(copy)
  end
  return msg
end

local lastEnvText, lastEnv
local function loadEnv(text)
  if text == lastEnvText then return lastEnv end
  local env = type(text) == "table" and text or decode(text)
  for _, part in ipairs({ "Process", "Module" }) do
    local p = env[part]
    if type(p) == "table" and p.TagArray == nil then
      p.TagArray = p.Tags or {}
      p.Tags = Tab(p)
    end
  end
  ao.init(env)
  lastEnvText, lastEnv = text, env
  return env
end

-- The process's own Process message: the boot code of On-Boot = Data runs as an Eval.
local function boot(msg)
  if #Inbox == 0 then insertInbox(msg) end
  local onBoot = msg.Tags["On-Boot"]
  if onBoot == nil then return end
  if onBoot == "Data" then
    evaluate(type(msg.Data) == "string" and msg.Data or "")
  else
    emit("On-Boot from a transaction (" .. tostring(onBoot) .. ") is not supported; use On-Boot = Data")
  end
end

local function run(msg, env)
  prepare(msg)
  local isProcessMessage = msg.Id ~= nil and msg.Id == ao.id
  if isProcessMessage and Owner == nil then
    Owner = env.Process.Tags["From-Process"] or msg.From
  end
  if Name == nil then Name = env.Process.Tags.Name or "aos" end

  if not ao.isTrusted(msg) then
    emit("Message is not trusted! From: " .. tostring(msg.From) .. " - Owner: " .. tostring(msg.Owner))
    return
  end
  if not isProcessMessage and ao.isAssignment(msg) and not ao.isAssignable(msg) then
    emit("Assignment is not trusted! From: " .. tostring(msg.From) .. " - Owner: " .. tostring(msg.Owner))
    return
  end
  if isProcessMessage and msg.Tags.Type == "Process" and Owner == msg.From then return boot(msg) end
  Handlers.evaluate(msg, env)
end

-- result encoding --------------------------------------------------------------------------------

-- Encoding an outbox item is the hottest code of the runtime, so it is generated: for each shape
-- (which of Target/Anchor/Data are present, how many tags, up to MAX_GENERATED_TAGS) a function is
-- compiled once that reads the fields into locals, checks them all with one scan of their
-- concatenation (escaping is rare), and builds the JSON with a single concatenation. Other
-- shapes use string.format on a template. A value that is not a string or a number makes the
-- encoding fail: the message then errors.
local format, rep, unpack2 = string.format, string.rep, table.unpack
local MAX_GENERATED_TAGS = 32
local generated = {}

local function generateEncoder(hasTarget, hasAnchor, hasData, count)
  local code = { "local find, CLEAN, escape, tostring, type = ...", "return function(m, target)", "local tags = m.Tags" }
  local values, pieces = {}, {}
  local function field(name, var)
    values[#values + 1] = var
    pieces[#pieces + 1] = format("%q", (#pieces == 0 and "{" or ",") .. '"' .. name .. '":"')
    pieces[#pieces + 1] = var
    pieces[#pieces + 1] = format("%q", '"')
  end
  if hasTarget then field("Target", "target") end
  if hasAnchor then code[#code + 1] = "local anchor = m.Anchor"; field("Anchor", "anchor") end
  if hasData then code[#code + 1] = "local data = m.Data"; field("Data", "data") end
  pieces[#pieces + 1] = format("%q", (#pieces == 0 and "{" or ",") .. '"Tags":[')
  for i = 1, count do
    code[#code + 1] = format("local n%d, v%d = tags[%d].name, tags[%d].value", i, i, i, i)
    values[#values + 1] = "n" .. i
    values[#values + 1] = "v" .. i
    pieces[#pieces + 1] = format("%q", (i > 1 and "," or "") .. '{"name":"')
    pieces[#pieces + 1] = "n" .. i
    pieces[#pieces + 1] = format("%q", '","value":"')
    pieces[#pieces + 1] = "v" .. i
    pieces[#pieces + 1] = format("%q", '"}')
  end
  pieces[#pieces + 1] = format("%q", "]}")
  if #values > 0 then
    code[#code + 1] = "if not find(" .. (#values == 1 and values[1] .. ' .. ""' or concat(values, " .. ")) .. ", CLEAN) then"
    for _, v in ipairs(values) do
      code[#code + 1] = format('%s = escape(type(%s) == "string" and %s or tostring(%s))', v, v, v, v)
    end
    code[#code + 1] = "end"
  end
  code[#code + 1] = "return " .. concat(pieces, " .. ")
  code[#code + 1] = "end"
  local chunk = assert(rawload(concat(code, "\n"), "=encoder", "t", {}))
  return chunk(find, CLEAN, escape, tostring, type)
end

local args = {}
local templates = {}

-- The general encoder: one string.format on a template cached per shape.
local function formatItem(m, target, anchor, data, tags, count)
  local n = 0
  if target ~= nil then n = n + 1; args[n] = target end
  if anchor ~= nil then n = n + 1; args[n] = anchor end
  if data ~= nil then n = n + 1; args[n] = data end
  for i = 1, count do
    local tag = tags[i]
    args[n + 1] = tag.name
    args[n + 2] = tag.value
    n = n + 2
  end
  if not find(concat(args, "", 1, n), CLEAN) then
    for i = 1, n do
      local v = args[i]
      args[i] = escape(type(v) == "string" and v or tostring(v))
    end
  end
  local key = (target ~= nil and "T" or "") .. (anchor ~= nil and "A" or "") .. (data ~= nil and "D" or "") .. count
  local t = templates[key]
  if t == nil then
    t = "{" .. (target ~= nil and '"Target":"%s",' or "") .. (anchor ~= nil and '"Anchor":"%s",' or "")
      .. (data ~= nil and '"Data":"%s",' or "") .. '"Tags":['
      .. (count > 0 and ('{"name":"%s","value":"%s"}' .. rep(',{"name":"%s","value":"%s"}', count - 1)) or "") .. "]}"
    templates[key] = t
  end
  return format(t, unpack2(args, 1, n))
end

local function encodeItem(m, withTarget)
  local target, anchor, data, tags = withTarget and m.Target or nil, m.Anchor, m.Data, m.Tags
  local count = tags and #tags or 0
  if count > MAX_GENERATED_TAGS then return formatItem(m, target, anchor, data, tags, count) end
  local key = count * 8 + (target ~= nil and 4 or 0) + (anchor ~= nil and 2 or 0) + (data ~= nil and 1 or 0)
  local encoder = generated[key]
  if encoder == nil then
    encoder = generateEncoder(target ~= nil, anchor ~= nil, data ~= nil, count)
    generated[key] = encoder
  end
  return encoder(m, target)
end

local function encodeItems(items, withTarget)
  local count = #items
  if count == 0 then return "" end
  if count == 1 then return encodeItem(items[1], withTarget) end
  local parts = {}
  for i = 1, count do parts[i] = encodeItem(items[i], withTarget) end
  return concat(parts, ",")
end

local promptCache = { name = nil, inbox = -1, raw = "", text = "" }
local function currentPrompt()
  if Prompt == defaultPrompt then
    if promptCache.name ~= Name or promptCache.inbox ~= #Inbox then
      local raw = defaultPrompt()
      promptCache.name, promptCache.inbox, promptCache.raw, promptCache.text = Name, #Inbox, raw, escape(raw)
    end
    return promptCache.raw, promptCache.text
  end
  local ok, p = pcall(Prompt)
  return ok and type(p) == "string" and p or "aos> "
end

local function encodedPrompt()
  local raw, text = currentPrompt()
  return text or escape(raw)
end

local function encodeOutput()
  local count = #logs
  return '{"Output":{"data":"' .. (count == 0 and "" or escape(concat(logs, "\n"))) .. '","prompt":"'
    .. encodedPrompt() .. (count > 0 and '","print":true}' or '","print":false}')
end

local function encodeAssignments(list)
  local parts = {}
  for i, a in ipairs(list) do
    local ids = {}
    for j, p in ipairs(a.Processes) do ids[j] = '"' .. escape(type(p) == "string" and p or tostring(p)) .. '"' end
    parts[i] = '{"Processes":[' .. concat(ids, ",") .. '],"Message":"' .. escape(tostring(a.Message)) .. '"}'
  end
  return concat(parts, ",")
end

local function encodeResult()
  local outbox = ao.outbox
  local assignments = outbox.Assignments
  return encodeOutput() .. ',"Messages":[' .. encodeItems(outbox.Messages, true) .. '],"Spawns":['
    .. encodeItems(outbox.Spawns, false) .. '],"Assignments":['
    .. (#assignments > 0 and encodeAssignments(assignments) or "") .. "]}"
end

local function errorText(err)
  local text = type(err) == "string" and err or (type(err) == "table" and stringify(err)) or tostring(err)
  local where = Handlers.current
  if where ~= nil and where ~= "_eval" then text = "handler '" .. tostring(where) .. "': " .. text end
  return text
end

local function encodeError(err)
  return encodeOutput() .. ',"Messages":[],"Spawns":[],"Assignments":[],"Error":' .. quote(errorText(err)) .. "}"
end

-- The flat result (README "Host protocol"): the values are returned as they are, so nothing is
-- encoded in Lua and nothing is parsed by the host. A result too long for the VM's stack falls
-- back to the JSON text.
local MAX_FLAT_VALUES = 100000

local function flatText(v, what)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
  error(what .. " must be a string, not a " .. t, 0)
end

-- Per item: [Target], Anchor, Data (nil when absent), the tag count, then name, value per tag.
-- The values are copied as they are: the host checks their types (README "Host protocol"), so
-- the common case costs no call per value (the checks were a quarter of a Transfer's instructions).
local function flatItems(out, n, items, withTarget)
  local count = #items
  n = n + 1; out[n] = count
  for i = 1, count do
    local m = items[i]
    if withTarget then n = n + 1; out[n] = m.Target end
    local tags = m.Tags
    local tagCount = tags and #tags or 0
    out[n + 1], out[n + 2], out[n + 3] = m.Anchor, m.Data, tagCount
    n = n + 3
    for j = 1, tagCount do
      local tag = tags[j]
      out[n + 1], out[n + 2] = tag.name, tag.value
      n = n + 2
    end
  end
  return n
end

local function flatAssignments(out, n, list)
  local count = #list
  n = n + 1; out[n] = count
  for i = 1, count do
    local a = list[i]
    local processes = a.Processes
    local m = #processes
    out[n + 1] = m
    n = n + 1
    for j = 1, m do n = n + 1; out[n] = processes[j] end
    n = n + 1; out[n] = a.Message
  end
  return n
end

-- The checks the host makes on the flat values (README "Host protocol"), in the host's order, for
-- the JSON fallback: a message fails the same way whichever way its result is returned.
local function checkItems(items, withTarget)
  for i = 1, #items do
    local m = items[i]
    if withTarget and m.Target ~= nil and type(m.Target) ~= "string" then flatText(m.Target, "an outbox Target") end
    if m.Anchor ~= nil and type(m.Anchor) ~= "string" then flatText(m.Anchor, "an outbox Anchor") end
    if m.Data ~= nil and type(m.Data) ~= "string" then flatText(m.Data, "an outbox Data") end
    local tags = m.Tags
    for j = 1, tags and #tags or 0 do
      local tag = tags[j]
      if type(tag.name) ~= "string" then flatText(tag.name, "a tag name") end
      if type(tag.value) ~= "string" then flatText(tag.value, "a tag value") end
    end
  end
end

local function checkResult(outbox)
  checkItems(outbox.Messages, true)
  checkItems(outbox.Spawns, false)
  local assignments = outbox.Assignments
  for i = 1, #assignments do
    local a = assignments[i]
    local processes = a.Processes
    for j = 1, #processes do flatText(processes[j], "an assigned process id") end
    flatText(a.Message, "an assigned message id")
  end
end

-- The values are gathered in one table kept from message to message (a fresh table grew, and was
-- rehashed, five times per Transfer). Only 1..n is returned; what an earlier, longer result left
-- beyond n is cleared, so the table holds nothing the outbox does not (a large Data would
-- otherwise stay alive, and count against the memory cap, until overwritten). One that grew past
-- FLAT_BUFFER_KEEP is let go.
local FLAT_BUFFER_KEEP = 4096
local flatBuffer, flatBufferUsed = {}, 0

local function trimFlatBuffer(out, n)
  for i = n + 1, flatBufferUsed do out[i] = nil end
  flatBufferUsed = n
end

local function flatResult(ok, err)
  local count = #logs
  local prompt = currentPrompt()
  if flatBufferUsed > FLAT_BUFFER_KEEP then flatBuffer, flatBufferUsed = {}, 0 end
  local out = flatBuffer
  out[1], out[2], out[3] = count == 0 and "" or concat(logs, "\n"), prompt, count > 0
  if not ok then
    out[4] = errorText(err)
    trimFlatBuffer(out, 4)
    return unpack(out, 1, 4)
  end
  local outbox = ao.outbox
  local n = flatItems(out, 4, outbox.Messages, true)
  n = flatItems(out, n, outbox.Spawns, false)
  n = flatAssignments(out, n, outbox.Assignments)
  trimFlatBuffer(out, n)
  if n > MAX_FLAT_VALUES then
    checkResult(outbox)
    return encodeResult()
  end
  return unpack(out, 1, n)
end

-- One message through the process, with fresh output and outbox; returns pcall's ok, err.
local function runMessage(msgJSON, envJSON)
  local msg = type(msgJSON) == "table" and msgJSON or decode(msgJSON)
  local env = loadEnv(envJSON)
  logs = {}
  ao.clearOutbox()
  Handlers._beginMessage()
  sandbox.begin(msg)
  return pcall(run, msg, env)
end

--- The host entry point: one message in, one result out (both JSON text).
local function handle(msgJSON, envJSON)
  local ok, err = runMessage(msgJSON, envJSON)
  if ok then return encodeResult() end
  return encodeError(err)
end

--- The host entry point returning the flat result: like handle, without the JSON.
local function step(msgJSON, envJSON)
  return flatResult(runMessage(msgJSON, envJSON))
end

_G.handle = handle
local canonical = digest(stringDump)
sandbox.install(_G)

return {
  handle = handle,
  step = step,
  canonicalState = function() return canonical(_G) end,
  version = VERSION,
}
