-- wrk script of tests/cli/test_cluster.sh: POSTs {"payload": ...} to
-- /api/v1/verify, cycling through the QR texts of the file $PAYLOADS (one a
-- line), with X-API-Key $API_KEY, each connection waiting $DELAY_MS between
-- its requests (a steady load, not a flood). Every answer is checked: a
-- status other than 200, or a 200 without a verdict ("result"), is a
-- failure; done() prints one line the test reads:
--   cluster-load requests N errors N non200 N noverdict N statuses S
-- (errors: wrk's connect, read, write and time-out errors; statuses: the
-- first few unexpected statuses seen, e.g. "502 503").
local payloads = {}
for line in io.lines(os.getenv("PAYLOADS")) do
  payloads[#payloads + 1] = '{"payload": "' .. line .. '"}'
end
local key = os.getenv("API_KEY")
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  i = math.random(#payloads)
  non200 = 0
  noverdict = 0
  statuses = ""
end

function request()
  i = i % #payloads + 1
  local headers = { ["Content-Type"] = "application/json", ["X-API-Key"] = key }
  return wrk.format("POST", wrk.path, headers, payloads[i])
end

function delay()
  return delay_ms
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if #statuses < 60 then statuses = statuses .. status .. " " end
  elseif not string.find(body, '"result"%s*:%s*"[a-z_]+"') then
    noverdict = noverdict + 1
  end
end

function done(summary, latency, requests)
  local n200, nov, st = 0, 0, ""
  for _, t in ipairs(threads) do
    n200 = n200 + t:get("non200")
    nov = nov + t:get("noverdict")
    st = st .. t:get("statuses")
  end
  local e = summary.errors
  io.write(string.format("cluster-load requests %d errors %d non200 %d noverdict %d statuses %s\n",
    summary.requests, e.connect + e.read + e.write + e.timeout, n200, nov, st == "" and "-" or st))
end
