-- ao: the process's view of the network (global `ao`), close to aos 2.
--
--   ao.id, ao._module, ao.env = { Process = {Id, Owner, Tags, TagArray}, Module = {Id, Owner, Tags} }
--   ao.authorities         the module's owner, then the addresses of the process's Authority tags (comma-separated values)
--   ao.reference           counter behind the Reference tag of every Send/Spawn (persists)
--   ao.send(msg)           queues {Target, Data, Anchor, Tags} and returns that entry, with
--                          onReply(...) (extra fields are not part of the result)
--   ao.spawn(module, msg)  queues a Process item (Type=Process, Module, From-Process, ...)
--   ao.assign({Processes, Message})
--   ao.isTrusted(msg)      From == Owner (signed by the sender), or From/Owner/Forwarded-By is an
--                          authority
--   ao.addAssignable / removeAssignable / isAssignment / isAssignable (aos assignment checks)
-- Root keys of an outgoing message become tags after the standard ones, sorted by name, then the
-- entries of msg.Tags (an array of {name, value} or a map); a table Data is JSON-encoded with
-- Content-Type: application/json; numbers and booleans are stringified, tables JSON-encoded.

local type, pairs, ipairs, tostring, error, assert, select = type, pairs, ipairs, tostring, error, assert, select
local format, gmatch, match = string.format, string.gmatch, string.match
local sort = table.sort

local ao = {
  _version = "aos-compatible 1.0",
  id = "",
  _module = "",
  authorities = {},
  reference = 0,
  outbox = { Output = {}, Messages = {}, Spawns = {}, Assignments = {} },
  assignables = {},
  nonExtractableTags = { "Data-Protocol", "Variant", "From-Process", "From-Module", "Type", "From", "Owner",
    "Anchor", "Target", "Data", "Tags", "Read-Only" },
  nonForwardableTags = { "Data-Protocol", "Variant", "From-Process", "From-Module", "Type", "From", "Owner",
    "Anchor", "Target", "Tags", "TagArray", "Hash-Chain", "Timestamp", "Nonce", "Epoch", "Signature",
    "Forwarded-By", "Pushed-For", "Read-Only", "Cron", "Block-Height", "Reference", "Id", "Reply-To" },
}

local function set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end
local notTags = set({ "Target", "Data", "Anchor", "Tags", "From" })

local function tagValue(name, value)
  local tv = type(value)
  if tv == "string" then return value end
  if tv == "number" or tv == "boolean" then return tostring(value) end
  if tv == "table" then return json.encode(value) end
  error("tag '" .. tostring(name) .. "' cannot be a " .. tv, 3)
end

-- Appends the message's root keys (sorted) and msg.Tags to `tags`.
local function collectTags(tags, msg)
  local n = #tags
  local keys, k = {}, 0
  for key, value in pairs(msg) do
    if not notTags[key] and type(key) == "string" and type(value) ~= "function" then
      k = k + 1
      keys[k] = key
    end
  end
  if k > 1 then sort(keys) end
  for i = 1, k do
    local key = keys[i]
    local value = msg[key]
    if type(value) ~= "string" then value = tagValue(key, value) end -- strings (the most) without a call
    n = n + 1
    tags[n] = { name = key, value = value }
  end
  local extra = msg.Tags
  if type(extra) == "table" then
    if extra[1] ~= nil or next(extra) == nil then
      for _, tag in ipairs(extra) do
        n = n + 1
        tags[n] = { name = tostring(tag.name), value = tagValue(tag.name, tag.value) }
      end
    else
      local names, m = {}, 0
      for name in pairs(extra) do m = m + 1; names[m] = tostring(name) end
      sort(names)
      for i = 1, m do
        n = n + 1
        tags[n] = { name = names[i], value = tagValue(names[i], extra[names[i]]) }
      end
    end
  end
  return tags
end

local function prepareData(msg)
  local data = msg.Data
  if type(data) == "table" then
    if msg["Content-Type"] == nil then msg["Content-Type"] = "application/json" end
    return json.encode(data)
  end
  if data ~= nil and type(data) ~= "string" then return tostring(data) end
  return data
end

local function nextReference()
  ao.reference = ao.reference + 1
  return ao.reference, tostring(ao.reference)
end

--- Queues a message in the outbox; returns it (the outbox entry) with onReply(handler) /
-- onReply(from, handler).
function ao.send(msg)
  if type(msg) ~= "table" then error("msg should be a table", 0) end -- assert's message, without a call to assert
  local ref = ao.reference + 1
  ao.reference = ref
  local refString = tostring(ref)
  local data = msg.Data
  if data ~= nil and type(data) ~= "string" then data = prepareData(msg) end
  local tags = collectTags({
    { name = "Data-Protocol", value = "ao" },
    { name = "Variant", value = "ao.TN.1" },
    { name = "Type", value = "Message" },
    { name = "Reference", value = refString },
  }, msg)
  local target = msg.Target
  if target ~= nil and type(target) ~= "string" then target = tostring(target) end
  -- onReply has its slot from the start: added afterwards, it made the table grow (a rehash)
  local out = { Target = target, Data = data, Anchor = format("%032d", ref), Tags = tags, onReply = false }
  out.onReply = function(...)
    local from, resolver = out.Target, ...
    if select("#", ...) >= 2 then from, resolver = ... end
    Handlers.once({ From = from, ["X-Reference"] = refString }, resolver)
  end
  local outbox = ao.outbox.Messages
  outbox[#outbox + 1] = out
  return out
end

--- Queues a Process item in the outbox's Spawns; returns it with onReply(handler).
function ao.spawn(module, msg)
  assert(type(module) == "string", "Module source id is required!")
  assert(type(msg) == "table", "Message must be a table")
  local ref, refString = nextReference()
  local data = prepareData(msg)
  local tags = collectTags({
    { name = "Data-Protocol", value = "ao" },
    { name = "Variant", value = "ao.TN.1" },
    { name = "Type", value = "Process" },
    { name = "From-Process", value = ao.id },
    { name = "From-Module", value = ao._module },
    { name = "Module", value = module },
    { name = "Reference", value = refString },
  }, msg)
  local out = { Data = data or "NODATA", Anchor = format("%032d", ref), Tags = tags }
  out.onReply = function(callback)
    Handlers.once({ Action = "Spawned", From = ao.id, Reference = refString }, callback)
  end
  local spawns = ao.outbox.Spawns
  spawns[#spawns + 1] = out
  return out
end

--- Queues an assignment: {Processes = {ids...}, Message = id}.
function ao.assign(assignment)
  assert(type(assignment) == "table", "assignment should be a table")
  assert(type(assignment.Processes) == "table", "Processes should be a table")
  assert(type(assignment.Message) == "string", "Message should be a string")
  local processes = {}
  for i, p in ipairs(assignment.Processes) do processes[i] = tostring(p) end
  local list = ao.outbox.Assignments
  list[#list + 1] = { Processes = processes, Message = assignment.Message }
end

--- True when the message may be handled: signed by its sender, or relayed by an authority.
function ao.isTrusted(msg)
  if msg.From ~= nil and msg.From == msg.Owner then return true end
  local pusher = msg["Forwarded-By"]
  for _, authority in ipairs(ao.authorities) do
    if msg.From == authority or msg.Owner == authority or pusher == authority then return true end
  end
  return false
end

function ao.clearOutbox()
  ao.outbox = { Output = {}, Messages = {}, Spawns = {}, Assignments = {} }
end

--- Copies a table deeply (metatables kept).
function ao.clone(obj, seen)
  if type(obj) ~= "table" then return obj end
  seen = seen or {}
  if seen[obj] then return seen[obj] end
  local res = {}
  seen[obj] = res
  for k, v in pairs(obj) do res[ao.clone(k, seen)] = ao.clone(v, seen) end
  return setmetatable(res, getmetatable(obj))
end

local nonForwardable = set(ao.nonForwardableTags)

--- A copy of msg without the fields that must not be forwarded.
function ao.sanitize(msg)
  local copy = ao.clone(msg)
  for k in pairs(copy) do
    if nonForwardable[k] or type(copy[k]) == "function" then copy[k] = nil end
  end
  return copy
end

--- Reads the process's environment: id, module and the Authority list.
function ao.init(env)
  ao.env = env
  ao.id = env.Process.Id
  local tags = env.Process.TagArray or {}
  for _, tag in ipairs(tags) do
    if tag.name == "Module" and ao._module == "" then ao._module = tag.value end
  end
  if ao._module == "" and env.Module and env.Module.Id then ao._module = env.Module.Id end
  local known = set(ao.authorities)
  -- The module's owner is an authority: the platform that publishes this module runs the MU and
  -- cron that push into its processes. Both facts are on the gateway (the module item's owner), so
  -- a third party re-running the log trusts exactly the same signers.
  local moduleOwner = env.Module and env.Module.Owner
  if type(moduleOwner) == "string" and moduleOwner ~= "" and not known[moduleOwner] then
    known[moduleOwner] = true
    ao.authorities[#ao.authorities + 1] = moduleOwner
  end
  for _, tag in ipairs(tags) do
    if tag.name == "Authority" then
      for part in gmatch(tag.value, "[^,]+") do
        part = match(part, "^%s*(.-)%s*$")
        if part ~= "" and not known[part] then
          known[part] = true
          ao.authorities[#ao.authorities + 1] = part
        end
      end
    end
  end
end

--- Registers a match spec (optionally named) of assignments this process accepts.
function ao.addAssignable(...)
  local name, spec = nil, ...
  if select("#", ...) >= 2 then name, spec = ... end
  for _, a in ipairs(ao.assignables) do
    if name ~= nil and a.name == name then a.pattern = spec; return end
  end
  ao.assignables[#ao.assignables + 1] = { name = name, pattern = spec }
end

--- Removes an assignable by name or index.
function ao.removeAssignable(nameOrIndex)
  local list = ao.assignables
  if type(nameOrIndex) == "number" then
    if list[nameOrIndex] then table.remove(list, nameOrIndex) end
    return
  end
  for i, a in ipairs(list) do
    if a.name == nameOrIndex then table.remove(list, i); return end
  end
end

--- A message is an assignment when it targets another process.
function ao.isAssignment(msg) return msg.Target ~= nil and msg.Target ~= ao.id end

--- An assignment is accepted only when it matches one of ao.assignables.
function ao.isAssignable(msg)
  for _, a in ipairs(ao.assignables) do
    local ok = Handlers.matchesSpec(msg, a.pattern)
    if ok and ok ~= 0 and ok ~= "skip" then return true end
  end
  return false
end

return ao
