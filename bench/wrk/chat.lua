-- POST /v1/chat/completions, non-streamed.
wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.body = '{"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"Hello, how are you today?"}],"max_tokens":16}'

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
