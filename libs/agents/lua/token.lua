-- Token blueprint: the ao Standard Token (Info, Balance, Balances, Transfer, Mint, Total-Supply,
-- Burn) for the aos runtime. Load it with an Eval or as On-Boot code; globals already set win
-- (Name, Ticker, Logo, Denomination, Balances, TotalSupply), so a re-load keeps the state.
--
-- Amounts are non-negative integer strings of up to 78 digits (2^256), computed exactly by the
-- shared Amount library (lib/amount.lua): native 64-bit integers while the operands are short.
--
--   Transfer {Recipient, Quantity}   Debit-Notice to the sender (a reply), Credit-Notice to the
--                                    recipient; X- tags of the request are copied onto both;
--                                    a Cast tag suppresses the notices. Transfer-Error on a bad
--                                    Recipient or Quantity, or an insufficient balance.
--   Mint {Quantity[, Recipient]}     the process Owner (or the process itself) only; credits the
--                                    Recipient or the sender. Mint-Error otherwise.
--   Burn {Quantity}                  debits the sender and the supply. Burn-Error if short.
--   Balance {Recipient|Target}       Balance, Ticker, Account tags; Data = the balance.
--   Balances                         Data = JSON map of all balances.
--   Info                             Name, Ticker, Logo, Denomination, Total-Supply tags.
--   Total-Supply                     Data = the supply.

local sub, type = string.sub, type
local Amount = Amount -- lib/amount.lua, loaded before this file

Denomination = Denomination or 12
Balances = Balances or {}
TotalSupply = TotalSupply or "0"
Ticker = Ticker or "PNTS"
Logo = Logo or ""
if Name == nil or Name == "aos" then Name = TokenName or "Points Coin" end

local function balanceOf(account)
  return Balances[account] or "0"
end

-- The request's X- tags, to be copied onto both notices.
local function forwardedTags(msg)
  local list, n = nil, 0
  local tags = msg.TagArray
  for i = 1, #tags do
    local tag = tags[i]
    if sub(tag.name, 1, 2) == "X-" then
      list = list or {}
      n = n + 1
      list[n] = tag
    end
  end
  return list, n
end

local function withTags(notice, list, n)
  for i = 1, n do notice[list[i].name] = list[i].value end
  return notice
end

local function fail(msg, action, error)
  msg.reply({ Action = action, ["Message-Id"] = msg.Id, Error = error })
end

Handlers.add("info", "Info", function(msg)
  msg.reply({ Name = Name, Ticker = Ticker, Logo = Logo, Denomination = tostring(Denomination), ["Total-Supply"] = TotalSupply })
end)

Handlers.add("balance", "Balance", function(msg)
  local account = msg.Tags.Recipient or msg.Tags.Target or msg.From
  local bal = balanceOf(account)
  msg.reply({ Balance = bal, Ticker = Ticker, Account = account, Data = bal })
end)

Handlers.add("balances", "Balances", function(msg)
  msg.reply({ Data = json.encode(Balances) })
end)

Handlers.add("transfer", "Transfer", function(msg)
  local recipient = msg.Recipient
  local quantity = Amount.parse(msg.Quantity)
  if type(recipient) ~= "string" or recipient == "" then return fail(msg, "Transfer-Error", "Recipient is required!") end
  if not quantity then return fail(msg, "Transfer-Error", "Quantity must be an integer string") end
  if quantity == "0" then return fail(msg, "Transfer-Error", "Quantity must be greater than 0") end
  local from = msg.From
  local have = balanceOf(from)
  if Amount.cmp(have, quantity) < 0 then return fail(msg, "Transfer-Error", "Insufficient Balance!") end

  Balances[from] = Amount.sub(have, quantity)
  Balances[recipient] = Amount.add(balanceOf(recipient), quantity)

  if not msg.Cast then
    local forwarded, n = forwardedTags(msg)
    msg.reply(withTags({
      Action = "Debit-Notice",
      Recipient = recipient,
      Quantity = quantity,
      Data = "You transferred " .. quantity .. " to " .. recipient,
    }, forwarded, n))
    Send(withTags({
      Target = recipient,
      Action = "Credit-Notice",
      Sender = from,
      Quantity = quantity,
      Data = "You received " .. quantity .. " from " .. from,
    }, forwarded, n))
  end
end)

Handlers.add("mint", "Mint", function(msg)
  if msg.From ~= Owner and msg.From ~= ao.id then
    return fail(msg, "Mint-Error", "Only the Process Owner can mint new " .. Ticker .. " tokens!")
  end
  local quantity = Amount.parse(msg.Quantity)
  if not quantity or quantity == "0" then return fail(msg, "Mint-Error", "Quantity must be a positive integer string") end
  local account = msg.Recipient or msg.From
  Balances[account] = Amount.add(balanceOf(account), quantity)
  TotalSupply = Amount.add(TotalSupply, quantity)
  msg.reply({ Action = "Mint-Notice", Recipient = account, Quantity = quantity, Data = "Successfully minted " .. quantity })
end)

Handlers.add("totalSupply", "Total-Supply", function(msg)
  msg.reply({ Action = "Total-Supply", Data = TotalSupply, Ticker = Ticker })
end)

Handlers.add("burn", "Burn", function(msg)
  local quantity = Amount.parse(msg.Quantity)
  if not quantity or quantity == "0" then return fail(msg, "Burn-Error", "Quantity must be a positive integer string") end
  local have = balanceOf(msg.From)
  if Amount.cmp(have, quantity) < 0 then return fail(msg, "Burn-Error", "Insufficient Balance!") end
  Balances[msg.From] = Amount.sub(have, quantity)
  TotalSupply = Amount.sub(TotalSupply, quantity)
  msg.reply({ Action = "Burn-Notice", Quantity = quantity, Data = "Successfully burned " .. quantity })
end)
