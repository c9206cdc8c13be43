-- Stops each wrk thread after WRK_MAX_REQUESTS responses, so a run is bounded in count as well as in time.
local limit = tonumber(os.getenv("WRK_MAX_REQUESTS") or "0")
local count = 0

function response(status, headers, body)
  count = count + 1
  if limit > 0 and count >= limit then
    wrk.thread:stop()
  end
end
