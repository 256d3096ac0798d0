-- first_wave.lua - a wrk script for bench/first_wave.sh: counts responses
-- whose own elapsed time (the page footer's "Elapsed time: N ms", or the
-- JSON twin's "elapsed_ms":N - measured by pgw-front from handler start to
-- answer) is over SLOW_MS, and how many of them were among the first
-- FIRST responses of their wrk thread (the first wave: FIRST = the
-- thread's connections, each sending its first request at start-up).
SLOW_MS = tonumber(os.getenv("SLOW_MS") or "700")
FIRST = tonumber(os.getenv("FIRST") or "4000")
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) n = 0; slow = 0; slow_first = 0; max_ms = 0 end
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
  end
end
function done(summary, latency, requests)
  local total, s, sf, m = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    total = total + t:get("n"); s = s + t:get("slow"); sf = sf + t:get("slow_first")
    if t:get("max_ms") > m then m = t:get("max_ms") end
  end
  io.write(string.format("responses %d, handler time over %d ms: %d, of them in the first wave: %d, longest %d ms\n",
                         total, SLOW_MS, s, sf, m))
end
