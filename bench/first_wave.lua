-- first_wave.lua - a wrk script for bench/first_wave.sh: counts responses
-- whose own elapsed time (the page footer's "Elapsed time: N ms", or the
-- JSON twin's "elapsed_ms":N - measured by pgw-front from handler start to
-- answer) is over SLOW_MS, and how many of them were among the first
-- FIRST responses of their wrk thread (the first wave: FIRST = the
-- thread's connections, each sending its first request at start-up).
-- It also prints how the first wave's elapsed times spread, in 25 ms
-- steps from 500 ms (the backend's delay): "525:1243" = 1,243 first-wave
-- answers took 525-549 ms in their handler.
SLOW_MS = tonumber(os.getenv("SLOW_MS") or "700")
FIRST = tonumber(os.getenv("FIRST") or "4000")
STEPS = 30
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  n = 0; slow = 0; slow_first = 0; max_ms = 0; hist = {}
  for i = 0, STEPS do hist[i] = 0 end
end
function response(status, headers, body)
  n = n + 1
  local e = tonumber(string.match(body, 'id="elapsed">(%d+) ms') or
                     string.match(body, '"elapsed_ms":(%d+)'))
  if e then
    if e > max_ms then max_ms = e end
    if e > SLOW_MS then
      slow = slow + 1
      if n <= FIRST then slow_first = slow_first + 1 end
    end
    if n <= FIRST then
      local k = math.max(0, math.min(STEPS, math.floor((e - 500) / 25)))
      hist[k] = hist[k] + 1
    end
  end
end
function done(summary, latency, requests)
  local total, s, sf, m = 0, 0, 0, 0
  local spread = ""
  for _, t in ipairs(threads) do
    total = total + t:get("n"); s = s + t:get("slow"); sf = sf + t:get("slow_first")
    if t:get("max_ms") > m then m = t:get("max_ms") end
  end
  for k = 0, STEPS do
    local c = 0
    for _, t in ipairs(threads) do c = c + t:get("hist")[k] end
    if c > 0 then spread = spread .. string.format(" %d:%d", 500 + 25 * k, c) end
  end
  io.write(string.format("first wave's handler times (ms from, count):%s\n", spread))
  io.write(string.format("responses %d, handler time over %d ms: %d, of them in the first wave: %d, longest %d ms\n",
                         total, SLOW_MS, s, sf, m))
end
