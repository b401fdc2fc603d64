-- weave: what a process reads from Arweave and computes in WebAssembly libraries, through the
-- host call the runtime receives as its chunk argument (README: "Host calls"). Both are part of
-- the process's semantics: the same message gives the same answers on every replay.
--
--   ao.read(id [, {data = false}])  -> item | nil, code, message[, size]
--       item = {Id, Owner (the signer's address), ["Signature-Type"], Target, Anchor, Tags (map,
--       first value wins), TagArray, ["Block-Height"], Size, Data (unless data = false)}
--       An id is readable when the message names it in one of the process's Read-Tags (default
--       "Read") and the item is an ANS-104 data item confirmed at or before the message's
--       Block-Height. Codes: not-admissible, too-large, invalid-id, too-many, unsupported.
--   ao.wasm(library, fn, params, input) -> output | nil, code, message
--       Runs fn of a wasm32-ao-call-1 library the Process item names in a Wasm-Library tag, in a
--       fresh instance; input is a string or an item from ao.read (its data goes to the library
--       without passing through Lua). Codes: unknown-library, unknown-function, failed, too-large
--       and the read codes.

local type, error, ipairs = type, error, ipairs
local host = aoHost
local decode = json.decode

local function unavailable()
  return nil, "unavailable", "this runtime was loaded without host calls"
end

function ao.read(id, opts)
  if type(id) ~= "string" then error("ao.read: the id must be a string", 2) end
  if type(host) ~= "function" then return unavailable() end
  local withData = not (type(opts) == "table" and opts.data == false)
  local ok, a, b, c = host("read", id, withData and "data" or "meta")
  if not ok then return nil, a, b, c end
  local item = decode(a)
  local tags = {}
  for _, t in ipairs(item.Tags) do
    if tags[t.name] == nil then tags[t.name] = t.value end
  end
  item.TagArray = item.Tags
  item.Tags = tags
  if withData then item.Data = b end
  return item
end

function ao.wasm(library, fn, params, input)
  if type(library) ~= "string" or type(fn) ~= "string" then error("ao.wasm: library and fn must be strings", 2) end
  if params ~= nil and type(params) ~= "string" then error("ao.wasm: params must be a string", 2) end
  if type(host) ~= "function" then return unavailable() end
  local data, itemId
  if type(input) == "table" then
    if type(input.Id) ~= "string" then error("ao.wasm: an item input needs its Id", 2) end
    itemId = input.Id
  elseif input ~= nil then
    if type(input) ~= "string" then error("ao.wasm: the input must be a string or an item", 2) end
    data = input
  end
  local ok, a, b = host("wasm", library, fn, params or "", data, itemId)
  if not ok then return nil, a, b end
  return a
end

return { read = ao.read, wasm = ao.wasm }
