#!/usr/bin/env bash
# Load benchmark: mockapi against the reference app (bench/reference_app.py) and
# the floor (bench/floor_app.py), interleaved round by round, then a markdown table on stdout and in
# bench/out/latest.md. See bench/README.md.
#
#   bash bench/run.sh            full run
#   bash bench/run.sh --smoke    short run for CI (also BENCH_SMOKE=1)
#
# Settings (env): MOCKAPI_CMD ("{port}" is substituted), BENCH_DURATION (s),
# BENCH_CONNECTIONS, BENCH_THREADS, BENCH_ROUNDS, BENCH_WARMUP (s),
# BENCH_STREAMS, BENCH_STREAM_CONCURRENCY, BENCH_COLD_RUNS, BENCH_STRICT=1
# (exit 1 when a target fails).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SMOKE="${BENCH_SMOKE:-0}"
for arg in "$@"; do
    case "$arg" in
        --smoke) SMOKE=1 ;;
        -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

if [[ "$SMOKE" == 1 ]]; then
    MODE=smoke; def_duration=2; def_rounds=1; def_streams=100; def_warmup=0; def_cold=1
else
    MODE=full; def_duration=10; def_rounds=2; def_streams=2000; def_warmup=1; def_cold=3
fi
DURATION="${BENCH_DURATION:-$def_duration}"
ROUNDS="${BENCH_ROUNDS:-$def_rounds}"
WARMUP="${BENCH_WARMUP:-$def_warmup}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-1}"
STREAMS="${BENCH_STREAMS:-$def_streams}"
STREAM_CONCURRENCY="${BENCH_STREAM_CONCURRENCY:-20}"
COLD_RUNS="${BENCH_COLD_RUNS:-$def_cold}"
for setting in DURATION ROUNDS WARMUP CONNECTIONS THREADS STREAMS STREAM_CONCURRENCY COLD_RUNS; do
    if ! [[ "${!setting}" =~ ^[0-9]+$ ]]; then
        echo "run.sh: BENCH_$setting must be a whole number, got '${!setting}'" >&2
        exit 2
    fi
done

log() { echo "[bench] $*" >&2; }

# ---- tools ----------------------------------------------------------------

if [[ -x "$ROOT/.venv/bin/python" ]]; then
    PY="$ROOT/.venv/bin/python"
    export PATH="$ROOT/.venv/bin:$PATH"  # so a bare "python" in MOCKAPI_CMD is the venv's
else
    PY="python3"
fi
# mockapi runs from the checkout whether or not it is pip-installed.
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

if ! command -v wrk >/dev/null; then
    log "installing wrk"
    sudo=""
    [[ "$(id -u)" != 0 ]] && sudo="sudo"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null
fi

# Server on core 0, load generators on core 1, so they do not steal each other's CPU.
SERVER_PIN=()
LOAD_PIN=()
SERVER_CPU=()
if command -v taskset >/dev/null && [[ "$(nproc)" -ge 2 ]]; then
    SERVER_PIN=(taskset -c 0)
    LOAD_PIN=(taskset -c 1)
    SERVER_CPU=(--cpu 0)
    PINNING="servers on core 0, load on core 1"
else
    PINNING="none (needs taskset and 2 cores)"
fi

# ---- servers --------------------------------------------------------------

default_mockapi_cmd="$PY -m mockapi serve --host 127.0.0.1 --port {port}"
MOCKAPI_CMD="${MOCKAPI_CMD:-$default_mockapi_cmd}"
REFERENCE_CMD="$PY bench/reference_app.py --host 127.0.0.1 --port {port}"
FLOOR_CMD="$PY bench/floor_app.py --host 127.0.0.1 --port {port}"
SERVERS=(mockapi reference floor)
declare -A CMD_OF=([mockapi]="$MOCKAPI_CMD" [reference]="$REFERENCE_CMD" [floor]="$FLOOR_CMD")
declare -A PORT_OF COLD_PORT_OF PID_OF

read -r -a ports < <("$PY" -c '
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
PORT_OF=([mockapi]="${ports[0]}" [reference]="${ports[1]}" [floor]="${ports[2]}")
COLD_PORT_OF=([mockapi]="${ports[3]}" [reference]="${ports[4]}" [floor]="${ports[5]}")

command_for() { # server port
    local template="${CMD_OF[$1]}"
    echo "${template//\{port\}/$2}"
}

stop_servers() {
    local pid
    for pid in "${PID_OF[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PID_OF[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    done
    PID_OF=()  # never signal a recycled pid later
}
trap stop_servers EXIT
trap 'exit 130' INT TERM

start_server() { # server
    local server="$1" port="${PORT_OF[$1]}" cmd
    cmd="$(command_for "$server" "$port")"
    log "starting $server: $cmd"
    # setsid: own process group, so stop_servers also reaches any child it forks.
    setsid "${SERVER_PIN[@]}" bash -c "exec $cmd" >"$RAW/server-$server.log" 2>&1 &
    PID_OF[$server]=$!
    if ! "$PY" bench/probe.py wait --port "$port" --pid "${PID_OF[$server]}" --timeout 60; then
        log "ERROR: $server never answered 200 on GET /v1/models; its log:"
        tail -n 30 "$RAW/server-$server.log" >&2 || true
        exit 1
    fi
}

# ---- workloads ------------------------------------------------------------

run_wrk() { # workload server seconds output
    "${LOAD_PIN[@]}" timeout $(($3 + 30)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"$3s" \
        -s "bench/wrk/$1.lua" "http://127.0.0.1:${PORT_OF[$2]}" >"$4" 2>&1 || true
}

run_streams() { # server count output
    "${LOAD_PIN[@]}" timeout 600 "$PY" bench/stream_client.py --port "${PORT_OF[$1]}" \
        --streams "$2" --concurrency "$STREAM_CONCURRENCY" >"$3" 2>>"$RAW/stream-client.log" || true
}

# ---- run ------------------------------------------------------------------

OUT="$ROOT/bench/out"
RAW="$OUT/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RAW"
cat >"$RAW/meta.env" <<EOF
MODE=$MODE
DURATION=$DURATION
CONNECTIONS=$CONNECTIONS
THREADS=$THREADS
ROUNDS=$ROUNDS
STREAMS=$STREAMS
STREAM_CONCURRENCY=$STREAM_CONCURRENCY
COLD_RUNS=$COLD_RUNS
PINNING=$PINNING
CPU_BUSY_BEFORE=$("$PY" bench/probe.py cpu-busy --seconds 2 || echo '?')
WRK_VERSION=$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2 || true)
MOCKAPI_CMD=$MOCKAPI_CMD
REFERENCE_CMD=$REFERENCE_CMD
FLOOR_CMD=$FLOOR_CMD
EOF
log "mode $MODE, raw results in $RAW"

for server in "${SERVERS[@]}"; do
    start_server "$server"
    "$PY" bench/shapes.py --port "${PORT_OF[$server]}" >"$RAW/shapes-$server.json" || true
done

for workload in models chat embeddings; do
    if [[ "$WARMUP" != 0 ]]; then
        for server in "${SERVERS[@]}"; do
            run_wrk "$workload" "$server" "$WARMUP" /dev/null
        done
    fi
    for round in $(seq "$ROUNDS"); do
        for server in "${SERVERS[@]}"; do
            log "$workload round $round/$ROUNDS: $server"
            run_wrk "$workload" "$server" "$DURATION" "$RAW/wrk-$workload-$server-$round.txt"
        done
    done
done

if [[ "$WARMUP" != 0 ]]; then
    for server in "${SERVERS[@]}"; do run_streams "$server" 200 /dev/null; done
fi
for round in $(seq "$ROUNDS"); do
    for server in "${SERVERS[@]}"; do
        log "stream round $round/$ROUNDS: $server"
        run_streams "$server" "$STREAMS" "$RAW/stream-$server-$round.json"
    done
done

# Memory should be flat: a repeated burst of the heaviest routes after the run must not grow it.
died=()
for server in "${SERVERS[@]}"; do
    if kill -0 "${PID_OF[$server]}" 2>/dev/null; then
        "$PY" bench/probe.py rss --pid "${PID_OF[$server]}" >"$RAW/rss-$server.txt"
        log "repeated burst: $server"
        for workload in chat embeddings; do run_wrk "$workload" "$server" "$DURATION" /dev/null; done
        run_streams "$server" "$STREAMS" /dev/null
        "$PY" bench/probe.py rss --pid "${PID_OF[$server]}" >"$RAW/rss-again-$server.txt"
    else
        died+=("$server")
    fi
done
stop_servers

for i in $(seq "$COLD_RUNS"); do
    for server in "${SERVERS[@]}"; do
        log "cold start $i/$COLD_RUNS: $server"
        "${LOAD_PIN[@]}" "$PY" bench/probe.py coldstart "${SERVER_CPU[@]}" \
            --port "${COLD_PORT_OF[$server]}" \
            --cmd "$(command_for "$server" "${COLD_PORT_OF[$server]}")" \
            >"$RAW/cold-$server-$i.txt" || echo FAIL >"$RAW/cold-$server-$i.txt"
    done
done

report_args=()
[[ "${BENCH_STRICT:-0}" == 1 ]] && report_args=(--strict)
status=0
"$PY" bench/report.py "$RAW" "${report_args[@]}" >"$RAW/report.md" || status=$?
cp "$RAW/report.md" "$OUT/latest.md"
cat "$RAW/report.md"

if ((${#died[@]})); then
    log "ERROR: server(s) died during the run: ${died[*]} (logs in $RAW)"
    exit 1
fi
exit "$status"
