-- wrk script: waiting-room polls, GET with the next buyer's ticket each time. env: TICKETS (file, one per line)
local threads = {}
local counter = 0
local tickets = {}
local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
s200, sother = 0, 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("TICKETS")) do tickets[#tickets + 1] = line end
end

function request()
  counter = counter + 1
  local ticket = tickets[(((counter - 1) * nthreads + (id - 1)) % #tickets) + 1]
  return wrk.format("GET", nil, { ["X-Queue-Ticket"] = ticket })
end

function response(status, headers, body)
  if status == 200 then s200 = s200 + 1 else sother = sother + 1 end
end

function done(summary, latency, requests)
  local ok, other = 0, 0
  for _, t in ipairs(threads) do
    ok = ok + (t:get("s200") or 0)
    other = other + (t:get("sother") or 0)
  end
  -- the same RESULT line as reserve.lua: 200s are counted as "other" there, here under s201
  io.write(string.format('RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"s201":%d,"s409":0,"s410":0,"s429":0,"s503":0,"sother":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    ok, other, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
