-- wrk script of the issuance benchmark (tests/bench/bench_issue.sh): POSTs the
-- holder object of the file $HOLDER to /api/v1/attestations with the bearer
-- token $TOKEN, and counts the answers: "created" (201) and "refused" (any
-- other), summed over the threads in the summary line.
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  local f = assert(io.open(os.getenv("HOLDER"), "rb"))
  body = f:read("*a")
  f:close()
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. os.getenv("TOKEN") }
  created = 0
  refused = 0
end

request = function()
  return wrk.format("POST", "/api/v1/attestations", headers, body)
end

response = function(status, hdrs, b)
  if status == 201 then created = created + 1 else refused = refused + 1 end
end

done = function(summary, latency, requests)
  local c, r = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    r = r + t:get("refused")
  end
  io.write(string.format("created %d refused %d seconds %.3f p50_ms %.1f p99_ms %.1f\n", c, r,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
