-- POST /v1/embeddings, one input, float encoding (1536 floats back).
wrk.method = "POST"
wrk.path = "/v1/embeddings"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.body = '{"model":"text-embedding-ada-002","input":"The food was delicious and the waiter was friendly.","encoding_format":"float"}'

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
