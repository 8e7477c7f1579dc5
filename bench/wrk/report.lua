-- Shared by the workload scripts: counts non-2xx responses per thread and
-- prints parseable result lines from done() for bench/report.py:
--   REQS <requests> <duration_us>
--   NON2XX <count>
--   SOCKERR <connect> <read> <write> <timeout>
--   LAT <p50_us> <p99_us>

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

non2xx = 0

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests)
   local bad = 0
   for _, thread in ipairs(threads) do
      bad = bad + (thread:get("non2xx") or 0)
   end
   local e = summary.errors
   io.write(string.format("REQS %d %d\n", summary.requests, summary.duration))
   io.write(string.format("NON2XX %d\n", bad))
   io.write(string.format("SOCKERR %d %d %d %d\n", e.connect, e.read, e.write, e.timeout))
   io.write(string.format("LAT %d %d\n", latency:percentile(50), latency:percentile(99)))
end
