-- wrk script: the embeddings workload (one short input, ada-002, float encoding).
-- wrk -t1 -c16 -d10s -s bench/embeddings.lua http://127.0.0.1:8000/v1/embeddings
wrk.method = "POST"
wrk.body = '{"model":"text-embedding-ada-002","input":"The food was delicious and the waiter was very friendly.","encoding_format":"float"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
