-- GET /v1/models with a bearer key.
wrk.method = "GET"
wrk.path = "/v1/models"
wrk.headers["Authorization"] = "Bearer sk-bench"

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
