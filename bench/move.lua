-- wrk script for bench/load.py: POST /api/v1/cards/<random card>/move to a random column and
-- position. CARD_IDS and COLUMN_IDS come from the environment (comma lists). Counts every status.
local cards, columns = {}, {}
for id in string.gmatch(os.getenv("CARD_IDS") or "", "%d+") do cards[#cards + 1] = id end
for id in string.gmatch(os.getenv("COLUMN_IDS") or "", "%d+") do columns[#columns + 1] = id end

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
  statuses = {}
end

function request()
  local card = cards[math.random(#cards)]
  local column = columns[math.random(#columns)]
  local body = string.format('{"column_id": %s, "position": %d}', column, math.random(0, 150))
  return wrk.format("POST", "/api/v1/cards/" .. card .. "/move", nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      total[tostring(status)] = (total[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do parts[#parts + 1] = string.format('"%s": %d', status, n) end
  io.write("STATUS {" .. table.concat(parts, ", ") .. "}\n")
end
