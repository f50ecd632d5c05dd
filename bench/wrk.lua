-- wrk script for bench/run.py: varying paths and signed-in sessions, GET or a compose POST.
--
--   wrk -t2 -c16 -d15s -s bench/wrk.lua http://127.0.0.1:PORT -- SPEC_FILE
--
-- SPEC_FILE lines (written by run.py):
--   method GET|POST
--   path /some/path                 (one per line; each request picks one at random)
--   session SESSIONID CSRFTOKEN     (one per line; each request picks one at random)
--   bearer TOKEN                    (API runs: an OAuth bearer token instead of a session)
-- done() prints one line "WRKJSON {...}" with the counts and latency percentiles (microseconds).

local method = "GET"
local paths = {}
local sessions = {}
local tokens = {}
local sent = 0
local thread_tag = "t"

local WORDS = {
  "coffee", "weather", "game", "garden", "news", "music", "dog", "road", "trip", "porch",
  "recipe", "brisket", "sunrise", "library", "council", "storm", "river", "season", "book", "movie",
}

function init(args)
  for line in io.lines(args[1]) do
    local kind, a, b = line:match("^(%S+)%s+(%S+)%s*(%S*)$")
    if kind == "method" then
      method = a
    elseif kind == "path" then
      paths[#paths + 1] = a
    elseif kind == "session" then
      sessions[#sessions + 1] = { a, b }
    elseif kind == "bearer" then
      tokens[#tokens + 1] = a
    end
  end
  -- Each wrk thread has its own Lua state: seed each differently.
  local address = tostring({}):match("0x(%x+)") or "0"
  thread_tag = address:sub(-6)
  math.randomseed(os.time() + tonumber(address:sub(-7), 16))
end

local function post_text()
  local parts = { "Benchmark post", thread_tag .. "-" .. sent, "about" }
  for _ = 1, math.random(3, 12) do
    parts[#parts + 1] = WORDS[math.random(#WORDS)]
  end
  if math.random() < 0.3 then
    parts[#parts + 1] = "%23bench"
  end
  return table.concat(parts, "+")
end

function request()
  sent = sent + 1
  local path = paths[math.random(#paths)]
  local headers = {}
  local session = nil
  if #tokens > 0 then
    headers["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]
  elseif #sessions > 0 then
    session = sessions[math.random(#sessions)]
    headers["Cookie"] = "sessionid=" .. session[1] .. "; csrftoken=" .. session[2]
  end
  if method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    local body = "csrfmiddlewaretoken=" .. (session and session[2] or "") .. "&text=" .. post_text()
    return wrk.format("POST", path, headers, body)
  end
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)
  ))
end
