-- wrk script: each thread replays its share of pre-built (pre-signed) raw HTTP requests.
-- The file holds requests separated by "\0\n". When a thread runs out it starts again from
-- its first request: those repeats are duplicates the website must answer without a second
-- credit, and done() reports how many there were.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  mine = {}
  local index, start = 0, 1
  while true do
    local stop = string.find(data, "\0\n", start, true)
    if not stop then break end
    if index % nthreads == id then
      table.insert(mine, string.sub(data, start, stop - 1))
    end
    index = index + 1
    start = stop + 2
  end
  position = 0
  own = #mine
end

function request()
  position = position + 1
  if position > #mine then
    position = 1
  end
  return mine[position]
end

function response(status, headers, body)
  if status ~= 200 then
    bad = (bad or 0) + 1
  end
end

function done(summary, latency, requests)
  local total_bad, total_own = 0, 0
  for _, thread in ipairs(threads) do
    total_bad = total_bad + (thread:get("bad") or 0)
    total_own = total_own + (thread:get("own") or 0)
  end
  io.write(string.format("replay-prepared: %d\n", total_own))
  io.write(string.format("replay-non200: %d\n", total_bad))
end
