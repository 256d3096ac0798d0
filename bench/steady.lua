-- steady.lua - a wrk script: besides wrk's own figures (the whole run),
-- counts the 2xx answers that arrive after the first WARM seconds
-- (default 5) and prints their rate: the steady state, after a start-up
-- burst (4,000 TLS handshakes at once, say) is over. LuaJIT's ffi reads
-- the monotonic clock; os.time() counts whole seconds only.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } steady_ts;
int clock_gettime(int clk, steady_ts *ts);
]]
local ts = ffi.new("steady_ts")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end
WARM = tonumber(os.getenv("WARM") or "5")
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) t0 = now(); late = 0 end
function response(status, headers, body)
  if status >= 200 and status < 300 and now() - t0 >= WARM then late = late + 1 end
end
function done(summary, latency, requests)
  local n, start = 0, math.huge
  for _, t in ipairs(threads) do
    n = n + t:get("late")
    start = math.min(start, t:get("t0"))
  end
  local span = now() - (start + WARM)
  io.write(string.format("steady: %d ok answers in the last %.2f s: %.1f/s\n", n, span, n / span))
end
