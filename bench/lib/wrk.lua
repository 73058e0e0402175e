-- wrk script of the restgate bench: POSTs the docs' payload cycling over RG_DEVICES device names
-- (prebuilt requests up to 5000 names), stops after RG_AMOUNT answers when set, and prints one
-- `RGRESULT {json}` line with the counts and latency percentiles (microseconds).
local devices = tonumber(os.getenv("RG_DEVICES") or "1000")
local amount = tonumber(os.getenv("RG_AMOUNT") or "0")
local auth = os.getenv("RG_AUTH")
local headers = { ["Content-Type"] = "application/json" }
if auth and auth ~= "" then headers["Authorization"] = auth end
local prebuilt = devices <= 5000
local reqs = {}
local n = 0
local answered = 0

local function body(i)
  return string.format('{"sensorName":"SN-%d","sensorType":"Thermometer","sensorModel":"T1000","temp":%d,"hum":%d}', i, 20 + i % 10, 50 + i % 7)
end

function init(args)
  if prebuilt then
    for i = 0, devices - 1 do reqs[i] = wrk.format("POST", nil, headers, body(i)) end
  end
end

function request()
  local i = n % devices
  n = n + 1
  if prebuilt then return reqs[i] end
  return wrk.format("POST", nil, headers, body(i))
end

if amount > 0 then
  -- after `amount` answers the thread stops sending and says so; the bench then interrupts wrk
  -- (its main thread otherwise sleeps for the whole -d) and reads the summary of done()
  function response(status, hdrs, b)
    answered = answered + 1
    if answered == amount then
      io.write("RGAMOUNT\n")
      io.flush()
      wrk.thread:stop()
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RGRESULT {"requests":%d,"non2xx":%d,"errors":%d,"timeouts":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d}\n',
    summary.requests, e.status, e.connect + e.read + e.write, e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max))
end
