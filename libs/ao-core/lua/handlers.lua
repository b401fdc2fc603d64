-- Handlers: the aos message-dispatch list.
--
--   Handlers.add(name, pattern, handle[, maxRuns])     add, or replace in place when the name exists
--   Handlers.append(...) / Handlers.prepend(...)       same, at the end / at the front
--   Handlers.once([name,] pattern, handle)             prepend with maxRuns = 1
--   Handlers.remove(name), Handlers.before(name).add(...), Handlers.after(name).add(...)
--   Handlers.utils.hasMatchingTag(name, value), hasMatchingTagOf(name, values),
--                  hasMatchingData(value), reply(textOrTable), continue(pattern)
--
-- A pattern is a function(msg), an Action string, or a table { key = match } where every key must
-- match msg[key]; a match is an exact string, a Lua pattern (a string with magic characters other
-- than '-'), '_' (any value), a function(value, msg), or a table of alternatives.
-- A pattern result of "continue"/1 runs the handler and goes on, "break"/true/-1 runs it and
-- stops, "skip"/false/0/nil skips it. When no handler broke the chain, the "_default" handler
-- runs (by default it stores the message in the Inbox).

local type, pairs, ipairs, select, error, assert, tostring = type, pairs, ipairs, select, error, assert, tostring
local find = string.find
local insert, remove, tmove = table.insert, table.remove, table.move

local Handlers = { _version = "aos-compatible 1.0", list = {}, onceNonce = 0, utils = {} }

local function matchesPattern(pattern, value, msg)
  if pattern == "_" then return true end
  local tp = type(pattern)
  if tp == "string" then
    if value == pattern then return true end
    if type(value) ~= "string" then return false end
    -- the metered match (see metered.lua): values come from senders, patterns from the process
    if find(pattern, "[%^%$%(%)%%%.%[%]%*%+%?]") then return string.match(value, pattern) ~= nil end
    return false
  elseif tp == "function" then
    return pattern(value, msg) and true or false
  elseif tp == "table" then
    for _, alternative in pairs(pattern) do
      if matchesPattern(alternative, value, msg) then return true end
    end
  end
  return false
end

--- Evaluates a pattern (function, Action string or match table) against a message.
local function matchesSpec(msg, spec)
  local ts = type(spec)
  if ts == "function" then return spec(msg) end
  if ts == "string" then return msg.Action == spec end
  if ts == "table" then
    for key, pattern in pairs(spec) do
      local value = msg[key]
      if value == nil or not matchesPattern(pattern, value, msg) then return false end
    end
    return true
  end
  return false
end
Handlers.matchesSpec = matchesSpec

-- Normalizes a pattern result to -1 (run and stop), 1 (run and go on) or 0 (skip).
local function verdict(result)
  if result == true or result == -1 or result == "break" then return -1 end
  if result == 1 or result == "continue" then return 1 end
  if result == nil or result == false or result == 0 or result == "skip" then return 0 end
  if type(result) == "number" then return result < 0 and -1 or (result > 0 and 1 or 0) end
  return 0
end

local function findIndex(name)
  local list = Handlers.list
  for i = 1, #list do
    if list[i].name == name then return i end
  end
  return nil
end

-- A handle may be a function or a resolver table { [pattern] = function }: the first matching
-- pattern's function runs.
local function resolver(handle)
  if type(handle) ~= "table" then return handle end
  return function(msg, env)
    for spec, fn in pairs(handle) do
      if verdict(matchesSpec(msg, spec)) ~= 0 then return fn(msg, env) end
    end
  end
end

local function parseArgs(...)
  local n = select("#", ...)
  local name, pattern, handle, maxRuns
  if n == 2 then
    name, handle = ...
    pattern = name
  else
    name, pattern, handle, maxRuns = ...
  end
  local tp = type(pattern)
  assert(type(name) == "string" and (tp == "function" or tp == "table" or tp == "string"),
    "Invalid arguments: expected (name: string, pattern: string|table|function, handle: function|table[, maxRuns: number|'inf'])")
  assert(type(handle) == "function" or type(handle) == "table", "handle must be a function or a resolver table")
  if maxRuns == "inf" then maxRuns = nil end
  return name, pattern, resolver(handle), maxRuns
end

local function upsert(position, ...)
  local name, pattern, handle, maxRuns = parseArgs(...)
  local list = Handlers.list
  local idx = findIndex(name)
  if idx then
    local h = list[idx]
    h.pattern, h.handle, h.maxRuns = pattern, handle, maxRuns
  else
    local h = { name = name, pattern = pattern, handle = handle, maxRuns = maxRuns }
    if position == "front" then insert(list, 1, h) else list[#list + 1] = h end
  end
  return #list
end

--- Adds a handler at the end of the list, or updates the handler of the same name in place.
function Handlers.add(...) return upsert("back", ...) end

--- Same as add (aos keeps both names).
function Handlers.append(...) return upsert("back", ...) end

--- Adds a handler at the front of the list, or updates the handler of the same name in place.
function Handlers.prepend(...) return upsert("front", ...) end

--- Adds a handler that runs at most once, in front of the others; the name is optional.
function Handlers.once(...)
  local name, pattern, handle
  if select("#", ...) >= 3 then
    name, pattern, handle = ...
  else
    name = "_once_" .. tostring(Handlers.onceNonce)
    Handlers.onceNonce = Handlers.onceNonce + 1
    pattern, handle = ...
  end
  return upsert("front", name, pattern, handle, 1)
end

--- Removes the handler of the given name.
function Handlers.remove(name)
  assert(type(name) == "string", "name must be a string")
  local idx = findIndex(name)
  if idx then remove(Handlers.list, idx).removed = true end
end

local function relative(name, offset)
  assert(type(name) == "string", "name must be a string")
  return {
    add = function(...)
      local idx = findIndex(name)
      if not idx then return end
      local n, pattern, handle, maxRuns = parseArgs(...)
      Handlers.remove(n)
      idx = findIndex(name)
      insert(Handlers.list, idx + offset, { name = n, pattern = pattern, handle = handle, maxRuns = maxRuns })
    end,
  }
end

--- Returns { add = function(...) } inserting a handler before the named one.
function Handlers.before(name) return relative(name, 0) end

--- Returns { add = function(...) } inserting a handler after the named one.
function Handlers.after(name) return relative(name, 1) end

-- One reusable copy of the list per nesting level (a handler may call evaluate again). An error
-- thrown through evaluate leaves depth too high, which is harmless (a fresh level is used) and
-- reset at the next message.
local scratch, depth = {}, 0

--- Called by the runtime before each message.
function Handlers._beginMessage()
  depth = 0
  Handlers.current = nil
end

--- Runs the handlers for one message; returns true when a handler broke the chain.
-- Iterates over a copy of the list: a handler added while running applies from the next message
-- on; a handler removed while running does not run.
function Handlers.evaluate(msg, env)
  local list = Handlers.list
  local n = #list
  depth = depth + 1
  local snapshot = scratch[depth]
  if not snapshot then
    snapshot = {}
    scratch[depth] = snapshot
  end
  tmove(list, 1, n, 1, snapshot)
  local handled = false
  for i = 1, n do
    local h = snapshot[i]
    if h.name ~= "_default" and not h.removed then
      local pattern = h.pattern
      local v
      if type(pattern) == "string" then -- the common Action pattern, without the generic path
        v = msg.Action == pattern and -1 or 0
      else
        v = verdict(matchesSpec(msg, pattern))
      end
      if v ~= 0 then
        Handlers.current = h.name
        h.handle(msg, env)
        if h.maxRuns ~= nil then
          h.maxRuns = h.maxRuns - 1
          if h.maxRuns <= 0 then Handlers.remove(h.name) end
        end
        if v < 0 then
          handled = true
          break
        end
      end
    end
  end
  depth = depth - 1
  if not handled then
    local idx = findIndex("_default")
    if idx then
      Handlers.current = "_default"
      Handlers.list[idx].handle(msg, env)
    end
  end
  Handlers.current = nil
  return handled
end

-- utils ----------------------------------------------------------------------------------------

local utils = Handlers.utils

--- Pattern: the message has tag `name` equal to `value`.
function utils.hasMatchingTag(name, value)
  assert(type(name) == "string" and type(value) == "string", "invalid arguments: (name: string, value: string)")
  return function(msg) return msg.Tags[name] == value end
end

--- Pattern: the message has tag `name` equal to one of `values`.
function utils.hasMatchingTagOf(name, values)
  assert(type(name) == "string" and type(values) == "table", "invalid arguments: (name: string, values: string[])")
  return function(msg)
    local v = msg.Tags[name]
    for _, value in ipairs(values) do
      if v == value then return true end
    end
    return false
  end
end

--- Pattern: the message Data equals `value`.
function utils.hasMatchingData(value)
  assert(type(value) == "string", "invalid arguments: (value: string)")
  return function(msg) return msg.Data == value end
end

--- Handler: replies with `input` (a string becomes the Data; a table is the reply message).
function utils.reply(input)
  assert(type(input) == "table" or type(input) == "string", "invalid arguments: (input: table|string)")
  return function(msg)
    if type(input) == "string" then return msg.reply({ Data = input }) end
    local copy = {}
    for k, v in pairs(input) do copy[k] = v end
    return msg.reply(copy)
  end
end

--- Pattern wrapper: when `pattern` matches, run the handler and continue with the next ones.
function utils.continue(pattern)
  return function(msg)
    local v = verdict(matchesSpec(msg, pattern))
    if v == 0 then return 0 end
    return 1
  end
end

return Handlers
