-- wrk script: POST reserves, each from the next buyer token, each with its own requestId.
-- env: TOKENS (file, one JWT per line), RESERVE_PATH (the sale's published reserve path; unset: the URL's path)
local threads = {}
local counter = 0
local tokens = {}
local path = os.getenv("RESERVE_PATH")

local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
s201, s409, s410, s429, s503, sother = 0, 0, 0, 0, 0, 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
end

function request()
  counter = counter + 1
  -- threads take interleaved tokens in order: a buyer comes back only after every other buyer did,
  -- so no two requests in flight share a buyer (which the edge would join into one answer)
  local token = tokens[(((counter - 1) * nthreads + (id - 1)) % #tokens) + 1]
  local body = '{"requestId":"t' .. id .. '-' .. counter .. '","quantity":1}'
  return wrk.format("POST", path, { ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status == 201 then s201 = s201 + 1
  elseif status == 409 then s409 = s409 + 1
  elseif status == 410 then s410 = s410 + 1
  elseif status == 429 then s429 = s429 + 1
  elseif status == 503 then s503 = s503 + 1
  else sother = sother + 1 end
end

function done(summary, latency, requests)
  local c = { s201 = 0, s409 = 0, s410 = 0, s429 = 0, s503 = 0, sother = 0 }
  for _, t in ipairs(threads) do
    for k, _ in pairs(c) do c[k] = c[k] + (t:get(k) or 0) end
  end
  io.write(string.format('RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"s201":%d,"s409":%d,"s410":%d,"s429":%d,"s503":%d,"sother":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    c.s201, c.s409, c.s410, c.s429, c.s503, c.sother,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
