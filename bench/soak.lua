-- soak.lua - a wrk script for bench/soak.sh: each request is one of a mix
-- of weft-hello's paths (callback, JSON, chunked POST, fiber, worker pool,
-- callback fan-out, 404, 405), in turn, and the statuses are counted.
local paths = {
  {"GET", "/plaintext", nil},
  {"GET", "/json", nil},
  {"POST", "/echo", "soak body"},
  {"GET", "/delay?ms=1", nil},
  {"GET", "/sleep?ms=0", nil},
  {"GET", "/callback-fanout?ms=1&n=3", nil},
  {"GET", "/missing", nil},
  {"DELETE", "/plaintext", nil},
}
local i = 0
function request()
  i = i + 1
  local p = paths[(i % #paths) + 1]
  local headers = {}
  if p[3] then headers["Content-Type"] = "text/plain" end
  return wrk.format(p[1], p[2], headers, p[3])
end
local counts = {}
function response(status)
  counts[status] = (counts[status] or 0) + 1
end
function done(summary)
  io.write(string.format("soak: %d requests, %d socket errors\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
