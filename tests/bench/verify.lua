-- wrk script of the service benchmark: POSTs {"payload": ...} cycling through
-- the QR texts of the file $PAYLOADS (one per line), with X-API-Key $API_KEY.
local payloads = {}
for line in io.lines(os.getenv("PAYLOADS")) do
  payloads[#payloads + 1] = '{"payload": "' .. line .. '"}'
end
local key = os.getenv("API_KEY")
local i = math.random(#payloads)
request = function()
  i = i % #payloads + 1
  local headers = { ["Content-Type"] = "application/json" }
  if key and key ~= "" then headers["X-API-Key"] = key end
  return wrk.format("POST", wrk.path, headers, payloads[i])
end
