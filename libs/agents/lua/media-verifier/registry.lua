-- registry: the media a verifier has seen first (originals) and the references it was given,
-- indexed for nearest-neighbour search by Hamming distance over 64-bit dHashes (global
-- `MediaRegistry`).
--
-- Index: multi-index hashing over 4 bands of 16 bits. Two hashes within distance d agree within
-- floor(d/4) bits on at least one band (pigeonhole), so a search probes, in each band, every
-- 16-bit key within that many bits of the query's band, and checks each candidate exactly. For
-- d <= 3 that is the exact band; for d = 10, 137 keys a band. State (kept across re-boots):
--   Media[id] = { id, author, sha256, dhash, ahash (hex), format, width, height, size,
--                 blockHeight, seq, kind = "original" | "reference", label }
--   MediaOrder = { id, ... } in registration order; MediaBySha[sha256] = { id, ... };
--   MediaBands[1..4][key] = { seq, hash, seq, hash, ... } (the dHash as an integer beside each seq)
--   MediaHashes[seq] = the dHash as an integer (false without one), for scans past the index

Media = Media or {}
MediaOrder = MediaOrder or {}
MediaBySha = MediaBySha or {}
MediaBands = MediaBands or { {}, {}, {}, {} }
MediaHashes = MediaHashes or {}

local type, ipairs, byte = type, ipairs, string.byte
local sort = table.sort

local R = {}

--- A 16-hex-digit hash as a 64-bit integer (wrapping), or nil when it is not one.
function R.parse(hex)
  if type(hex) ~= "string" or #hex ~= 16 then return nil end
  local n = 0
  for i = 1, 16 do
    local c = byte(hex, i)
    local d
    if c >= 48 and c <= 57 then d = c - 48
    elseif c >= 97 and c <= 102 then d = c - 87
    elseif c >= 65 and c <= 70 then d = c - 55
    else return nil end
    n = (n << 4) | d
  end
  return n
end

--- Bits set in a 64-bit integer.
local function popcount(x)
  x = x - ((x >> 1) & 0x5555555555555555)
  x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333)
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0f
  return (x * 0x0101010101010101) >> 56
end
R.popcount = popcount

--- Hamming distance of two hex hashes (nil when either is not a hash).
function R.distance(a, b)
  local x, y = R.parse(a), R.parse(b)
  if not x or not y then return nil end
  return popcount(x ~ y)
end

local function band(h, b)
  return (h >> (16 * (4 - b))) & 0xffff
end

-- XOR masks of the 16-bit keys within r bits (r = 0..3), in a fixed order; built once
local masks = {}
local function masksFor(r)
  local m = masks[r]
  if m then return m end
  m = { 0 }
  for i = 0, 15 do
    if r >= 1 then m[#m + 1] = 1 << i end
    for j = i + 1, 15 do
      if r >= 2 then m[#m + 1] = (1 << i) | (1 << j) end
      for l = j + 1, 15 do
        if r >= 3 then m[#m + 1] = (1 << i) | (1 << j) | (1 << l) end
      end
    end
  end
  masks[r] = m
  return m
end

--- Adds an entry (a table with at least id and dhash); indexes its dHash when it has one.
-- Buckets hold (seq, hash) pairs, so a search checks candidates without touching their entries.
function R.add(entry)
  if Media[entry.id] then return Media[entry.id] end
  entry.seq = #MediaOrder + 1
  Media[entry.id] = entry
  MediaOrder[entry.seq] = entry.id
  if entry.sha256 then
    local list = MediaBySha[entry.sha256] or {}
    list[#list + 1] = entry.id
    MediaBySha[entry.sha256] = list
  end
  local h = R.parse(entry.dhash)
  MediaHashes[entry.seq] = h or false
  if h then
    for b = 1, 4 do
      local key = band(h, b)
      local bucket = MediaBands[b][key]
      if not bucket then bucket = {}; MediaBands[b][key] = bucket end
      local n = #bucket
      bucket[n + 1] = entry.seq
      bucket[n + 2] = h
    end
  end
  return entry
end

--- Entries whose dHash is within `maxDistance` of `hex` (and `accept(entry)` when given), nearest
-- first (ties: lower block height, then earlier registration), at most `limit`.
-- Each: { entry = entry, distance = n }.
function R.search(hex, maxDistance, accept, limit)
  local q = R.parse(hex)
  if not q or maxDistance < 0 then return {} end
  if maxDistance > 32 then maxDistance = 32 end
  local r = maxDistance // 4
  local found, n = {}, 0
  local function consider(seq, d)
    local e = Media[MediaOrder[seq]]
    if not accept or accept(e) then n = n + 1; found[n] = { entry = e, distance = d } end
  end
  if r > 3 then
    -- past 3 bits a band, probing costs more than scanning everything
    for seq = 1, #MediaHashes do
      local h = MediaHashes[seq]
      if h then
        local d = popcount(q ~ h)
        if d <= maxDistance then consider(seq, d) end
      end
    end
  else
    local seen = {}
    local flips = masksFor(r)
    for b = 1, 4 do
      local index, qb = MediaBands[b], band(q, b)
      for f = 1, #flips do
        local bucket = index[qb ~ flips[f]]
        if bucket then
          for i = 1, #bucket, 2 do
            local d = popcount(q ~ bucket[i + 1])
            if d <= maxDistance then
              local seq = bucket[i]
              if not seen[seq] then seen[seq] = true; consider(seq, d) end
            end
          end
        end
      end
    end
  end
  sort(found, function(a, b)
    if a.distance ~= b.distance then return a.distance < b.distance end
    local ha, hb = a.entry.blockHeight or 0, b.entry.blockHeight or 0
    if ha ~= hb then return ha < hb end
    return a.entry.seq < b.entry.seq
  end)
  if limit and n > limit then
    for i = n, limit + 1, -1 do found[i] = nil end
  end
  return found
end

--- The first registered entry with this content hash accepted by `accept`, or nil.
function R.bySha(sha256, accept)
  for _, id in ipairs(MediaBySha[sha256] or {}) do
    local e = Media[id]
    if not accept or accept(e) then return e end
  end
  return nil
end

--- Number of entries.
function R.size()
  return #MediaOrder
end

--- Variance of the 8x8 gray grid in gray levels squared, floored: (64·Σv² − (Σv)²) // 4096.
function R.variance(grid)
  local s, s2 = 0, 0
  for i = 1, 64 do
    local v = grid[i]
    s = s + v
    s2 = s2 + v * v
  end
  return (64 * s2 - s * s) // 4096
end

MediaRegistry = R
