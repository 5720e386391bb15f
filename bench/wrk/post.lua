-- wrk script for bench/mcp_overhead.sh: POST one JSON-RPC request per call to an
-- MCP Streamable HTTP endpoint inside an existing session, and check every answer.
--
-- Everything comes from the environment (never argv, so the token is not in `ps`):
--   BENCH_METHOD   JSON-RPC method, e.g. "ping" or "tools/list"          (required)
--   BENCH_TOKEN    bearer token                                         (required)
--   BENCH_SESSION  Mcp-Session-Id from the initialize handshake          (required)
--   BENCH_PROTO    MCP-Protocol-Version header (default 2025-11-25)
--   BENCH_ID_BASE  first JSON-RPC id of this run, 9 digits (default 100000000); ids are
--                  unique per session across threads and runs, as MCP requires
--   BENCH_OUT      file to write the one-line JSON summary to            (required)
--
-- Every response goes through response(): a status outside 200..299 counts as
-- bad_status, a 2xx body without a JSON-RPC "result" (or with "error") as bad_body.
-- wrk's own "Non-2xx or 3xx" counter only counts status >= 400, hence this.

local threads = {}
local nthreads = 0

function setup(thread)
   nthreads = nthreads + 1
   thread:set("tid", nthreads - 1)
   table.insert(threads, thread)
end

local id_base, id_limit, stride, counter, head, tail
bad_status = 0
bad_body = 0
ok = 0

function init(args)
   local method = os.getenv("BENCH_METHOD")
   local token = os.getenv("BENCH_TOKEN")
   local session = os.getenv("BENCH_SESSION")
   if not method or not token or not session then
      error("post.lua: BENCH_METHOD, BENCH_TOKEN and BENCH_SESSION must be set")
   end
   id_base = tonumber(os.getenv("BENCH_ID_BASE") or "100000000")
   stride = tonumber(os.getenv("BENCH_THREADS") or "1")
   counter = 0
   -- The request is built once; only the id changes. Ids are kept at a fixed width
   -- (BENCH_ID_BASE is 9 digits and a run stays far below 10^8 requests), so the
   -- Content-Length is a constant and no per-request wrk.format() is needed.
   local body_head = '{"jsonrpc":"2.0","id":'
   tail = ',"method":"' .. method .. '"}'
   local width = #string.format("%.0f", id_base)
   head = "POST " .. wrk.path .. " HTTP/1.1\r\n" ..
      "Host: " .. wrk.headers["Host"] .. "\r\n" ..   -- set by wrk.init from the URL
      "Content-Type: application/json\r\n" ..
      "Accept: application/json, text/event-stream\r\n" ..
      "Authorization: Bearer " .. token .. "\r\n" ..
      "Mcp-Session-Id: " .. session .. "\r\n" ..
      "MCP-Protocol-Version: " .. (os.getenv("BENCH_PROTO") or "2025-11-25") .. "\r\n" ..
      "Content-Length: " .. (#body_head + width + #tail) .. "\r\n\r\n" .. body_head
   id_limit = 10 ^ width - 1   -- stay within the fixed width
end

function request()
   local id = id_base + counter * stride + tid
   counter = counter + 1
   if id > id_limit then error("post.lua: id overflow; raise BENCH_ID_BASE") end
   return head .. string.format("%.0f", id) .. tail
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      bad_status = bad_status + 1
   elseif not string.find(body, '"result"', 1, true) or string.find(body, '"error"', 1, true) then
      bad_body = bad_body + 1
   else
      ok = ok + 1
   end
end

function done(summary, latency, requests)
   local bs, bb, good = 0, 0, 0
   for _, t in ipairs(threads) do
      bs = bs + t:get("bad_status")
      bb = bb + t:get("bad_body")
      good = good + t:get("ok")
   end
   local e = summary.errors
   local out = string.format(
      '{"requests":%d,"duration_us":%d,"bytes":%d,"ok":%d,"bad_status":%d,"bad_body":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status_ge_400":%d,"timeout":%d},' ..
      '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"p50":%d,"p90":%d,"p99":%d,"p99_9":%d,"max":%d}}',
      summary.requests, summary.duration, summary.bytes, good, bs, bb,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.stdev,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), latency.max)
   local path = os.getenv("BENCH_OUT")
   local f = path and io.open(path, "w")
   if f then
      f:write(out, "\n")
      f:close()
   else
      io.write(out, "\n")
   end
end
