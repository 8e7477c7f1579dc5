"""Readiness probe and cold-start timer for a server under test.

python bench/probe.py wait --port N [--pid P] [--timeout 30]
    exit 0 once GET /v1/models answers 200, 1 on timeout or if P died.
python bench/probe.py coldstart --port N --cmd "CMD" [--cpu 0]
    launch CMD (bash, {port} already substituted), print the seconds from
    launch to the first 200 from GET /v1/models, then stop it.
python bench/probe.py rss --pid P
    print the resident set (KiB) of P and its descendants.
python bench/probe.py cpu-busy [--seconds 1]
    print how busy the machine's CPUs are (percent of all cores), to tell
    whether other work is running before a benchmark.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

POLL_INTERVAL_S = 0.005


def models_status(port: int) -> int | None:
    """Status code of GET /v1/models, or None if nothing answers yet."""
    request = (
        b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-bench\r\nConnection: close\r\n\r\n"
    )
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall(request)
            head = sock.recv(64)
    except OSError:
        return None
    parts = head.split(b" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        return None
    return int(parts[1])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purpose.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_ready(port: int, timeout: float, is_alive=lambda: True) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if models_status(port) == 200:
            return True
        if not is_alive():
            return False
        time.sleep(POLL_INTERVAL_S)
    return False


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def coldstart(cmd: str, port: int, cpu: str | None, timeout: float) -> float | None:
    argv = ["bash", "-c", "exec " + cmd]
    if cpu is not None and shutil.which("taskset"):
        argv = ["taskset", "-c", cpu, *argv]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready = wait_ready(port, timeout, lambda: proc.poll() is None)
        return time.perf_counter() - start if ready else None
    finally:
        stop(proc)


def rss_kib(root_pid: int) -> int:
    """VmRSS of root_pid plus its descendants (in case serve forks a worker)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies over all cores, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user
    return total - idle, total


def cpu_busy_percent(seconds: float) -> float:
    busy0, total0 = cpu_times()
    time.sleep(seconds)
    busy1, total1 = cpu_times()
    return 100.0 * (busy1 - busy0) / max(1, total1 - total0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    wait = sub.add_parser("wait")
    wait.add_argument("--port", type=int, required=True)
    wait.add_argument("--pid", type=int)
    wait.add_argument("--timeout", type=float, default=30.0)
    cold = sub.add_parser("coldstart")
    cold.add_argument("--port", type=int, required=True)
    cold.add_argument("--cmd", required=True)
    cold.add_argument("--cpu")
    cold.add_argument("--timeout", type=float, default=30.0)
    rss = sub.add_parser("rss")
    rss.add_argument("--pid", type=int, required=True)
    busy = sub.add_parser("cpu-busy")
    busy.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()

    if args.command == "cpu-busy":
        print(f"{cpu_busy_percent(args.seconds):.0f}")
        return 0
    if args.command == "rss":
        print(rss_kib(args.pid))
        return 0
    if args.command == "wait":
        is_alive = (lambda: alive(args.pid)) if args.pid else (lambda: True)
        return 0 if wait_ready(args.port, args.timeout, is_alive) else 1
    seconds = coldstart(args.cmd, args.port, args.cpu, args.timeout)
    if seconds is None:
        print(f"cold start failed: no 200 from :{args.port}/v1/models", file=sys.stderr)
        return 1
    print(f"{seconds:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
