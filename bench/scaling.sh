#!/usr/bin/env bash
# Worker scaling: the same workloads against `mockapi serve --workers 1` and `--workers 2` (whose state is
# shared through SQLite in their shared directory), unpinned: server processes and the load generator share
# the machine's cores as they would in a CI job. Prints a markdown table (requests/s, streams/s, ratio).
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

declare -A RESULT
for workers in 1 2; do
    setsid bash -c "exec $PY -m mockapi serve --host 127.0.0.1 --port $PORT --workers $workers" >"$LOG/server-$workers.log" 2>&1 &
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

echo "| workload | --workers 1 | --workers 2 (shared state) | ratio |"
echo "|---|---:|---:|---:|"
for workload in models chat embeddings streams; do
    one="${RESULT[$workload-1]:-0}" two="${RESULT[$workload-2]:-0}"
    ratio="$("$PY" -c "print(f'{$two / $one:.2f}' if $one else '-')")"
    unit="req/s"; [[ "$workload" == streams ]] && unit="streams/s"
    echo "| $workload ($unit) | $one | $two | $ratio× |"
done
echo
echo "$(nproc) cores, $CONNECTIONS connections, ${DURATION}s per workload; logs in $LOG"
