-- agent: the management contract every agent blueprint answers (global `Agent`); see
-- AGENT-CONTRACT.md. Needs `Amount` (amount.lua) and `Subscriptions` (subscriptions.lua).
--
--   Agent.setup{
--     blueprint = "market-maker", version = "1.0.0",
--     spec = ConfigSpec,                    -- { key = spec } (below), generated from the zod schema
--     check = function(config) -> { { key =, reason = } } or nil   -- cross-field rules (optional)
--     onConfigure = function(appliedKeys, msg)                      -- after a patch applied (optional)
--     onStart = function(msg) -> data | nil, error                  -- refuse Start with an error
--     onStop = function(msg, why) -> data                           -- cancel what is open; why = "stop"|"kill"
--     info = function() -> table                                    -- Info's Data (live figures)
--     onTick = function(msg)                                        -- cron Tick while Running
--   }
--   Agent.setStatus(status, msg, data, reason)   an internal transition (e.g. the kill switch):
--     records it, publishes topic `status`; returns the previous status
--   Agent.kill(msg, reason)      onStop(msg, "kill") then status Killed (publishes `status`)
--   Agent.now(msg)               msg.Timestamp as an integer (ms)
--   Agent.isOwner(msg)           msg.From == Owner
--   Agent.validate(spec, value, path) -> normalized value | nil, reason
--
-- Config spec nodes (Lua tables): { type = "integer", min =, max = } | { type = "boolean" }
--   | { type = "amount", min = "0", max =, off = "-1" }  (an integer string; `off` is an allowed
--     sentinel outside the range) | { type = "string", enum = {...} } | { type = "string",
--     minLength =, maxLength =, pattern = "<Lua pattern>" } | { type = "object", fields = {...} }
--   | { type = "array", items = spec, maxItems = } ; each top-level node has hot = true|false.
--
-- Handlers: Configure, Start, Stop, Kill (Owner only: anyone else gets <Action>-Error with
-- Error = not-owner, nothing changes), Info, Get-Config (anyone), Tick (Owner or a cron tick
-- signed by an authority; only while Running).
--
-- State (kept across re-boots): Config, Status, ConfigVersion, ConfigHistory, StatusHistory.

local Amount, Subscriptions = Amount, Subscriptions
local type, pairs, ipairs, tostring, tonumber, next = type, pairs, ipairs, tostring, tonumber, next
local sort, concat = table.sort, table.concat
local mathtype, tointeger = math.type, math.tointeger

Config = Config or {}
Status = Status or "Stopped"
ConfigVersion = ConfigVersion or 0
ConfigHistory = ConfigHistory or {}
StatusHistory = StatusHistory or {}

local HISTORY_KEEP = 200

local Agent = {}
local hooks = {}

function Agent.now(msg)
  return tointeger(tonumber(msg.Timestamp)) or 0
end

function Agent.isOwner(msg)
  return msg.From == Owner
end

local function isAuthority(address)
  for _, a in ipairs(ao.authorities or {}) do
    if a == address then return true end
  end
  return false
end

-- A tick counts when the Owner sent it, or when it is a cron message an authority signed.
local function isTick(msg)
  if msg.From == Owner then return true end
  return msg.Cron == true and (isAuthority(msg.Owner) or isAuthority(msg.From))
end

local function copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = copy(x) end
  return out
end

local function push(list, entry)
  list[#list + 1] = entry
  if #list > HISTORY_KEEP then table.remove(list, 1) end
end

--- Checks `value` against a spec node; returns the normalized value, or nil and a reason.
function Agent.validate(spec, value, path, current)
  local t = spec.type
  if t == "integer" then
    if mathtype(value) ~= "integer" then return nil, path .. " must be an integer" end
    if spec.min ~= nil and value < spec.min then return nil, path .. " must be at least " .. spec.min end
    if spec.max ~= nil and value > spec.max then return nil, path .. " must be at most " .. spec.max end
    return value
  elseif t == "boolean" then
    if type(value) ~= "boolean" then return nil, path .. " must be a boolean" end
    return value
  elseif t == "amount" then
    local a = type(value) == "string" and Amount.parseSigned(value) or nil
    if a == nil then return nil, path .. " must be an integer string" end
    if spec.off ~= nil and a == spec.off then return a end
    if spec.min ~= nil and Amount.cmp(a, spec.min) < 0 then
      return nil, path .. " must be at least " .. spec.min .. (spec.off and (" (or " .. spec.off .. " for off)") or "")
    end
    if spec.max ~= nil and Amount.cmp(a, spec.max) > 0 then return nil, path .. " must be at most " .. spec.max end
    return a
  elseif t == "string" then
    if type(value) ~= "string" then return nil, path .. " must be a string" end
    if spec.enum then
      for _, e in ipairs(spec.enum) do if e == value then return value end end
      return nil, path .. " must be one of " .. concat(spec.enum, ", ")
    end
    if spec.minLength and #value < spec.minLength then return nil, path .. " must have at least " .. spec.minLength .. " characters" end
    if spec.maxLength and #value > spec.maxLength then return nil, path .. " must have at most " .. spec.maxLength .. " characters" end
    if spec.pattern and not string.find(value, spec.pattern) then return nil, path .. " has the wrong format" end
    return value
  elseif t == "object" then
    if type(value) ~= "table" then return nil, path .. " must be an object" end
    -- a patch of an object is merged onto its current value, field by field
    local out = copy(type(current) == "table" and current or {})
    local names = {}
    for k in pairs(value) do
      if type(k) ~= "string" then return nil, path .. " must be an object" end
      names[#names + 1] = k
    end
    sort(names)
    for _, k in ipairs(names) do
      local field = spec.fields[k]
      if field == nil then return nil, path .. "." .. k .. " is not a known field" end
      local v, err = Agent.validate(field, value[k], path .. "." .. k, out[k])
      if err then return nil, err end
      out[k] = v
    end
    for k, field in pairs(spec.fields) do
      if out[k] == nil and field.required then return nil, path .. "." .. k .. " is required" end
    end
    return out
  elseif t == "array" then
    if type(value) ~= "table" then return nil, path .. " must be an array" end
    local n = #value
    for k in pairs(value) do
      if mathtype(k) ~= "integer" or k < 1 or k > n then return nil, path .. " must be an array" end
    end
    if spec.maxItems and n > spec.maxItems then return nil, path .. " must have at most " .. spec.maxItems .. " items" end
    local out = {}
    for i = 1, n do
      local v, err = Agent.validate(spec.items, value[i], path .. "[" .. (i - 1) .. "]")
      if err then return nil, err end
      out[i] = v
    end
    return out
  end
  return nil, path .. " has an unsupported type"
end

local function statusPayload(status, previous, msg, data, reason)
  local payload = { status = status, previousStatus = previous, reason = reason, actingUser = msg.Tags["Acting-User"] }
  if type(data) == "table" then for k, v in pairs(data) do payload[k] = v end end
  return payload
end

--- Records a status change and publishes it on topic `status`; returns the previous status.
function Agent.setStatus(status, msg, data, reason)
  local previous = Status
  Status = status
  push(StatusHistory, { status = status, previous = previous, actingUser = msg.Tags["Acting-User"],
    timestamp = Agent.now(msg), reason = reason })
  Subscriptions.notify("status", statusPayload(status, previous, msg, data, reason), msg)
  return previous
end

--- Cancels what is open and moves to Killed for good; returns onStop's data.
function Agent.kill(msg, reason)
  local data = hooks.onStop and hooks.onStop(msg, "kill") or {}
  Agent.setStatus("Killed", msg, data, reason)
  return data
end

local function notOwner(msg)
  msg.reply({ Action = msg.Action .. "-Error", Error = "not-owner" })
end

local function reply(msg, status, previous, data)
  msg.reply({ Action = "Status-Changed", Status = status, ["Previous-Status"] = previous,
    Data = json.encode(data or {}), ["Content-Type"] = "application/json" })
end

local function configure(msg)
  local patch = msg.Data
  if type(patch) == "string" then
    local ok, decoded = pcall(json.decode, patch)
    patch = ok and decoded or nil
  end
  local applied, rejected = {}, {}
  if type(patch) ~= "table" then
    rejected[1] = { key = "", reason = "Data must be a JSON object {key: value}" }
  else
    local keys = {}
    for k in pairs(patch) do keys[#keys + 1] = tostring(k) end
    sort(keys)
    local candidate = copy(Config)
    for _, key in ipairs(keys) do
      local spec = hooks.spec[key]
      if spec == nil then
        rejected[#rejected + 1] = { key = key, reason = "unknown key" }
      elseif Status == "Running" and not spec.hot then
        rejected[#rejected + 1] = { key = key, reason = "restart-required: stop the agent to change " .. key }
      else
        local v, err = Agent.validate(spec, patch[key], key, Config[key])
        if err then rejected[#rejected + 1] = { key = key, reason = err }
        else candidate[key] = v; applied[#applied + 1] = key end
      end
    end
    if #rejected == 0 and #applied > 0 and hooks.check then
      for _, problem in ipairs(hooks.check(candidate) or {}) do rejected[#rejected + 1] = problem end
    end
    if #rejected == 0 and #applied > 0 then
      Config = candidate
      ConfigVersion = ConfigVersion + 1
      push(ConfigHistory, { version = ConfigVersion, keys = applied, actingUser = msg.Tags["Acting-User"], timestamp = Agent.now(msg) })
    end
  end
  if #rejected > 0 then applied = {} end
  msg.reply({ Action = "Configure-Response", ["Config-Version"] = tostring(ConfigVersion),
    Data = json.encode({ applied = applied, rejected = rejected, configVersion = ConfigVersion }),
    ["Content-Type"] = "application/json" })
  if #applied > 0 then
    local changed = {}
    for _, k in ipairs(applied) do changed[k] = Config[k] end
    Subscriptions.notify("config", { configVersion = ConfigVersion, applied = applied, values = changed,
      actingUser = msg.Tags["Acting-User"] }, msg)
    if hooks.onConfigure then hooks.onConfigure(applied, msg) end
  end
end

--- Registers the management handlers (once per boot, after Subscriptions.setup).
function Agent.setup(opts)
  hooks = opts

  Handlers.add("agent.configure", "Configure", function(msg)
    if not Agent.isOwner(msg) then return notOwner(msg) end
    configure(msg)
  end)

  Handlers.add("agent.start", "Start", function(msg)
    if not Agent.isOwner(msg) then return notOwner(msg) end
    if Status == "Killed" then return msg.reply({ Action = "Start-Error", Error = "killed", Status = Status }) end
    if Status == "Running" then return reply(msg, Status, Status, {}) end
    local data, err = {}, nil
    if hooks.onStart then data, err = hooks.onStart(msg) end
    if err then return msg.reply({ Action = "Start-Error", Error = err, Status = Status }) end
    reply(msg, "Running", Status, data)
    Agent.setStatus("Running", msg, data)
  end)

  Handlers.add("agent.stop", "Stop", function(msg)
    if not Agent.isOwner(msg) then return notOwner(msg) end
    local data = hooks.onStop and hooks.onStop(msg, "stop") or {}
    if Status == "Killed" then return reply(msg, Status, Status, data) end
    reply(msg, "Stopped", Status, data)
    Agent.setStatus("Stopped", msg, data)
  end)

  Handlers.add("agent.kill", "Kill", function(msg)
    if not Agent.isOwner(msg) then return notOwner(msg) end
    local data = hooks.onStop and hooks.onStop(msg, "kill") or {}
    reply(msg, "Killed", Status, data)
    Agent.setStatus("Killed", msg, data, msg.Tags.Reason or "owner")
  end)

  Handlers.add("agent.info", "Info", function(msg)
    local figures = hooks.info and hooks.info() or {}
    figures.status = Status
    figures.statusHistory = { table.unpack(StatusHistory, math.max(1, #StatusHistory - 19)) }
    msg.reply({ Action = "Info-Response", Blueprint = hooks.blueprint, ["Blueprint-Version"] = hooks.version,
      Status = Status, ["Config-Version"] = tostring(ConfigVersion), Data = json.encode(figures),
      ["Content-Type"] = "application/json" })
  end)

  Handlers.add("agent.get-config", "Get-Config", function(msg)
    msg.reply({ Action = "Config", ["Config-Version"] = tostring(ConfigVersion),
      Data = json.encode({ config = Config, configVersion = ConfigVersion, history = ConfigHistory }),
      ["Content-Type"] = "application/json" })
  end)

  Handlers.add("agent.tick", "Tick", function(msg)
    if not isTick(msg) then return end
    if Status ~= "Running" or not hooks.onTick then return end
    hooks.onTick(msg)
  end)
end

_G.Agent = Agent
