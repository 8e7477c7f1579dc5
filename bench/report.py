"""Turn the raw files of one bench run into the markdown report.

    python bench/report.py RAW_DIR [--strict]

RAW_DIR holds what bench/run.sh wrote:
    meta.env                         KEY=VALUE settings of the run
    wrk-<workload>-<server>-<round>.txt   wrk output with the report.lua lines
    stream-<server>-<round>.json     bench/stream_client.py output
    cold-<server>-<i>.txt            seconds to first 200, or FAIL
    rss-<server>.txt                 KiB, after the run
    rss-again-<server>.txt           KiB, after a repeated burst of chat, embeddings and streams
    shapes-<server>.json             bench/shapes.py output
<server> is "mockapi", "reference" or "floor". --strict exits 1 if any target fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
from collections import Counter
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

SERVERS = ("mockapi", "reference")
# The floor (floor_app.py): the stack's own limit; mockapi's ratio to it is reported, aiming at FLOOR_AIM.
FLOOR = "floor"
FLOOR_AIM = 0.5
WRK_WORKLOADS = ("models", "chat", "embeddings")
COLD_START_LIMIT_S = 0.6
RSS_GROWTH_LIMIT_MIB = 4  # memory is flat: a repeated burst grows it by less than this
BUSY_PERCENT = 10  # CPU use by other work before the run above this is flagged
NOISY_SPREAD = 1.25  # best/worst round throughput above this is flagged


# ---- parsing -------------------------------------------------------------


def parse_wrk(text: str) -> dict | None:
    """The REQS/NON2XX/SOCKERR/LAT lines printed by bench/wrk/report.lua."""
    fields = {}
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] in ("REQS", "NON2XX", "SOCKERR", "LAT"):
            fields[parts[0]] = [int(p) for p in parts[1:]]
    if len(fields) < 4:
        return None
    requests, duration_us = fields["REQS"]
    non2xx = fields["NON2XX"][0]
    return {
        "ok_rps": (requests - non2xx) / (duration_us / 1e6) if duration_us else 0.0,
        "non2xx": non2xx,
        "sockerr": sum(fields["SOCKERR"]),
        "p50_ms": fields["LAT"][0] / 1000,
        "p99_ms": fields["LAT"][1] / 1000,
    }


def spread(values: list[float]) -> float:
    """Best over worst round: how much the machine moved during the run."""
    if not values or min(values) <= 0:
        return 1.0  # a round with no successes is an error, reported as such
    return max(values) / min(values)


def read_wrk(raw: Path, workload: str, server: str) -> dict | None:
    """Best value of each metric over the rounds; errors summed over all rounds."""
    rounds = []
    failed_rounds = 0
    for path in sorted(raw.glob(f"wrk-{workload}-{server}-*.txt")):
        result = parse_wrk(path.read_text(errors="replace"))
        if result is None:
            failed_rounds += 1
        else:
            rounds.append(result)
    if not rounds:
        return None
    return {
        "ok_rps": max(r["ok_rps"] for r in rounds),
        # Latency of a server that only fails says nothing.
        "p99_ms": min((r["p99_ms"] for r in rounds if r["ok_rps"] > 0), default=None),
        "non2xx": sum(r["non2xx"] for r in rounds),
        "sockerr": sum(r["sockerr"] for r in rounds),
        "failed_rounds": failed_rounds,
        "spread": spread([r["ok_rps"] for r in rounds]),
    }


def read_stream(raw: Path, server: str) -> dict | None:
    """Best value of each metric over the rounds; errors summed over all rounds."""
    rounds = []
    for path in sorted(raw.glob(f"stream-{server}-*.json")):
        with contextlib.suppress(ValueError):
            rounds.append(json.loads(path.read_text()))
    if not rounds:
        return None

    def best(key, pick):
        values = [r[key] for r in rounds if r.get(key) is not None]
        return pick(values) if values else None

    return {
        "streams_per_s": best("streams_per_s", max),
        "ttfb_p50_ms": best("ttfb_p50_ms", min),
        "total_p99_ms": best("total_p99_ms", min),
        "errors": sum(r.get("errors", 0) for r in rounds),
        "spread": spread([r.get("streams_per_s") or 0 for r in rounds]),
        "error_samples": [e for r in rounds for e in r.get("error_samples", [])][:5],
    }


def read_cold(raw: Path, server: str) -> float | None:
    times = []
    for path in sorted(raw.glob(f"cold-{server}-*.txt")):
        try:
            times.append(float(path.read_text().strip()))
        except ValueError:
            return None  # a failed launch fails the metric
    return statistics.median(times) if times else None


def read_number(path: Path) -> float | None:
    try:
        return float(path.read_text().strip())
    except (OSError, ValueError):
        return None


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def read_meta(raw: Path) -> dict:
    meta = {}
    path = raw / "meta.env"
    if path.exists():
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                meta[key.strip()] = value.strip()
    return meta


# ---- table ---------------------------------------------------------------


class Table:
    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.failures = 0

    def add(self, name: str, mock, ref, fmt, target: str = "", passed: bool | None = None, ratio: bool = True) -> None:
        def show(v):
            return "n/a" if v is None else fmt(v)

        ratio_text = ""
        if ratio and mock is not None and ref:
            ratio_text = f"{mock / ref:.2f}"
        verdict = "" if passed is None else ("PASS" if passed else "FAIL")
        self.failures += passed is False
        self.rows.append([name, show(mock), show(ref), ratio_text, target, verdict])

    def ratio_row(self, name, mock, ref, fmt, op: str, limit: float) -> None:
        """A row whose pass is mockapi/reference compared with limit."""
        if mock is None or not ref:
            passed = False
        else:
            ratio = mock / ref
            passed = ratio >= limit if op == ">=" else ratio <= limit
        self.add(name, mock, ref, fmt, f"ratio {op} {limit}", passed)

    def errors_row(self, name, mock, ref, extra_mock: int = 0, extra_ref: int = 0) -> None:
        def fmt_count(value, extra):
            if value is None:
                return None
            return f"{value}" + (f" (+{extra} socket)" if extra else "")

        self.add(
            name,
            fmt_count(mock, extra_mock),
            fmt_count(ref, extra_ref),
            str,
            "0",
            mock == 0 and extra_mock == 0,
            ratio=False,
        )

    def markdown(self) -> str:
        head = ["workload", "mockapi", "reference", "ratio", "target", "pass"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)


def get(d: dict | None, key: str):
    return None if d is None else d.get(key)


def check_spread(notes: list[str], workload: str, server: str, result: dict | None) -> None:
    if result and result["spread"] > NOISY_SPREAD:
        notes.append(
            f"{workload}: {server}'s rounds differ {result['spread']:.2f}x in throughput; "
            "the machine was noisy, rerun (or raise BENCH_ROUNDS) before trusting a FAIL"
        )


def build_table(raw: Path, meta: dict) -> tuple[Table, list[str]]:
    table, notes = Table(), []

    def rps(v):
        return f"{v:,.0f}"

    def msec(v):
        return f"{v:.2f} ms"

    for workload in WRK_WORKLOADS:
        mock, ref = (read_wrk(raw, workload, s) for s in SERVERS)
        table.ratio_row(f"{workload} req/s", get(mock, "ok_rps"), get(ref, "ok_rps"), rps, ">=", 0.8)
        table.ratio_row(f"{workload} p99", get(mock, "p99_ms"), get(ref, "p99_ms"), msec, "<=", 1.5)
        table.errors_row(
            f"{workload} non-2xx",
            get(mock, "non2xx"),
            get(ref, "non2xx"),
            get(mock, "sockerr") or 0,
            get(ref, "sockerr") or 0,
        )
        for server, result in zip(SERVERS, (mock, ref), strict=False):
            if result is None:
                notes.append(f"{workload}: no wrk result for {server}")
            elif result["failed_rounds"]:
                notes.append(f"{workload}: {result['failed_rounds']} wrk round(s) of {server} failed")
            check_spread(notes, workload, server, result)

    mock, ref = (read_stream(raw, s) for s in SERVERS)
    table.ratio_row(
        "stream streams/s", get(mock, "streams_per_s"), get(ref, "streams_per_s"), lambda v: f"{v:,.0f}", ">=", 0.8
    )
    table.ratio_row("stream ttfb p50", get(mock, "ttfb_p50_ms"), get(ref, "ttfb_p50_ms"), msec, "<=", 1.5)
    table.add("stream total p99", get(mock, "total_p99_ms"), get(ref, "total_p99_ms"), msec)
    table.errors_row("stream errors", get(mock, "errors"), get(ref, "errors"))
    for server, result in zip(SERVERS, (mock, ref), strict=False):
        check_spread(notes, "stream", server, result)
        samples = Counter(get(result, "error_samples") or [])
        for sample, count in samples.items():
            notes.append(f"stream error ({server}): {sample}" + (f" (x{count} in sample)" if count > 1 else ""))

    mock, ref = (read_cold(raw, s) for s in SERVERS)
    table.add(
        f"cold start (median of {meta.get('COLD_RUNS', '?')})",
        mock,
        ref,
        lambda v: f"{v:.3f} s",
        f"< {COLD_START_LIMIT_S} s",
        mock is not None and mock < COLD_START_LIMIT_S,
    )

    after = [read_number(raw / f"rss-{s}.txt") for s in SERVERS]
    again = [read_number(raw / f"rss-again-{s}.txt") for s in SERVERS]
    mib = [None if v is None else v / 1024 for v in after]
    table.add("RSS after run", mib[0], mib[1], lambda v: f"{v:.1f} MiB")
    growth = [None if a is None or b is None else (b - a) / 1024 for a, b in zip(after, again, strict=True)]
    table.add(
        "RSS growth over a repeated burst",
        growth[0],
        growth[1],
        lambda v: f"{v:+.1f} MiB",
        f"< {RSS_GROWTH_LIMIT_MIB} MiB",
        growth[0] is not None and growth[0] < RSS_GROWTH_LIMIT_MIB,
        ratio=False,
    )

    mock, ref = (read_json(raw / f"shapes-{s}.json") for s in SERVERS)

    def problems(r):
        return None if r is None else len(r["problems"])

    table.add("response shapes (problems)", problems(mock), problems(ref), str, "0", problems(mock) == 0, ratio=False)
    for server, result in zip(SERVERS, (mock, ref), strict=False):
        for problem in get(result, "problems") or []:
            notes.append(f"shape ({server}): {problem}")
    if mock and ref and mock.get("info") != ref.get("info"):
        notes.append(f"shape info differs: mockapi {mock.get('info')} vs reference {ref.get('info')}")
    return table, notes


def floor_table(raw: Path) -> str:
    """mockapi's throughput as a share of the floor's, per workload (an aim, not a target that fails)."""
    figures = [
        (f"{w} req/s", get(read_wrk(raw, w, "mockapi"), "ok_rps"), get(read_wrk(raw, w, FLOOR), "ok_rps"))
        for w in WRK_WORKLOADS
    ]
    stream = [read_stream(raw, s) for s in ("mockapi", FLOOR)]
    figures.append(("stream streams/s", get(stream[0], "streams_per_s"), get(stream[1], "streams_per_s")))
    lines = [
        f"Against the floor (a bare ASGI app on the same uvicorn, bodies serialised once; aim >= {FLOOR_AIM}):",
        "",
        "| workload | mockapi | floor | ratio | aim met |",
        "|---|---|---|---|---|",
    ]
    for name, mock, floor in figures:
        ratio = mock / floor if mock is not None and floor else None
        shown = ["n/a" if v is None else f"{v:,.0f}" for v in (mock, floor)]
        verdict = "" if ratio is None else ("yes" if ratio >= FLOOR_AIM else "no")
        lines.append(f"| {name} | {shown[0]} | {shown[1]} | {'n/a' if ratio is None else f'{ratio:.2f}'} | {verdict} |")
    return "\n".join(lines)


# ---- header --------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def header(meta: dict) -> str:
    packages = ", ".join(
        f"{p} {version(p)}" for p in ("fastapi", "starlette", "uvicorn", "orjson", "uvloop", "httptools")
    )
    lines = [
        "# mockapi load benchmark",
        "",
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC",
        f"- nproc: {os.cpu_count()}; CPU: {cpu_model()}",
        f"- python: {platform.python_version()}; {packages}",
        f"- wrk: {meta.get('WRK_VERSION', '?')}; pinning: {meta.get('PINNING', '?')}",
        f"- CPU busy in the 2 s before the run: {meta.get('CPU_BUSY_BEFORE', '?')}% of all cores",
        (
            f"- settings: mode {meta.get('MODE', '?')}, {meta.get('ROUNDS', '?')} interleaved "
            f"round(s) (best of each metric kept), wrk {meta.get('DURATION', '?')} s x "
            f"{meta.get('CONNECTIONS', '?')} connections x {meta.get('THREADS', '?')} thread, "
            f"{meta.get('STREAMS', '?')} streams at concurrency {meta.get('STREAM_CONCURRENCY', '?')}"
        ),
        f"- mockapi: `{meta.get('MOCKAPI_CMD', '?')}`",
        f"- reference: `{meta.get('REFERENCE_CMD', '?')}`",
        f"- floor: `{meta.get('FLOOR_CMD', '?')}`",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw_dir", type=Path)
    parser.add_argument("--strict", action="store_true", help="exit 1 if any target fails")
    args = parser.parse_args()
    meta = read_meta(args.raw_dir)
    table, notes = build_table(args.raw_dir, meta)
    busy = meta.get("CPU_BUSY_BEFORE", "?")
    if busy.isdigit() and int(busy) > BUSY_PERCENT:
        notes.insert(
            0,
            f"the machine was busy before the run ({busy}% CPU); "
            "other work skews both servers, rerun on an idle machine",
        )
    parts = [header(meta), "", table.markdown(), "", floor_table(args.raw_dir)]
    if notes:
        parts += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    parts += ["", f"{table.failures} target(s) failed." if table.failures else "All targets met."]
    print("\n".join(parts))
    return 1 if args.strict and table.failures else 0


if __name__ == "__main__":
    sys.exit(main())
