"""The mock's requests per second beside a bare aiohttp server returning a fixed body.

Both servers run as separate processes on loopback; one load generator (aiohttp, N concurrent
workers) drives each with the same load. The two take turns in short rounds (bare, mock, mock,
bare, …) so that whatever else the machine is doing falls on both alike. The bare server sends
the same bytes the mock sends for this request (its recording of "你好"), so the ratio is the
cost of the mock's own work. Prints a Markdown table; never asserts.

    python bench/mock_throughput.py [--seconds 2] [--rounds 4] [--concurrency 1 10 50]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from common import (
    FAST_MOCK,
    KEY,
    ROOT,
    Section,
    cpu_seconds,
    percentile,
    start_mock,
    start_server,
    stop,
)

BODY = {"model": "qwen-plus", "messages": [{"role": "user", "content": "你好"}]}
BARE_SERVER = Path(__file__).with_name("bare_server.py")
PATH = "/compatible-mode/v1/chat/completions"


async def load(url: str, body: dict, seconds: float, concurrency: int) -> dict[str, object]:
    """Requests done, seconds taken, latencies and non-200 answers for one server and load."""
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {KEY}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with session.post(url, json=body, headers=headers) as response:
                    await response.read()
                    errors += response.status != 200
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"count": len(latencies), "elapsed": elapsed, "latencies": latencies,
            "errors": errors}


def compare(servers: dict[str, tuple[subprocess.Popen, str]], body: dict, seconds: float,
            rounds: int, concurrency: int) -> dict[str, dict[str, float]]:
    """Both servers under the same load, in alternating rounds; figures per server.

    Besides requests per second, each server's CPU time per request is read from the kernel:
    unlike throughput, it hardly moves when other programs share the cores.
    """
    totals = {name: {"count": 0, "elapsed": 0.0, "latencies": [], "errors": 0, "cpu": 0.0}
              for name in servers}
    names = list(servers)
    for number in range(rounds):
        for name in names if number % 2 == 0 else names[::-1]:
            process, url = servers[name]
            cpu_before = cpu_seconds(process.pid)
            result = asyncio.run(load(url + PATH, body, seconds / rounds, concurrency))
            totals[name]["cpu"] += cpu_seconds(process.pid) - cpu_before
            for field in ("count", "elapsed", "errors"):
                totals[name][field] += result[field]
            totals[name]["latencies"] += result["latencies"]
    return {name: {"rps": t["count"] / t["elapsed"], "errors": t["errors"],
                   "cpu_us": t["cpu"] / max(t["count"], 1) * 1e6,
                   "p50": percentile(t["latencies"], 0.5) * 1000,
                   "p99": percentile(t["latencies"], 0.99) * 1000}
            for name, t in totals.items()}


def run(seconds: float = 2.0, rounds: int = 4, concurrency: tuple[int, ...] = (1, 10, 50),
        mock_root: Path = ROOT) -> Section:
    """The table: each body kind and client count, bare beside mock.

    ``mock_root`` runs the mock of another checkout (say, the commit before a speed-up).
    """
    began = time.perf_counter()
    servers = {"bare": start_server([sys.executable, str(BARE_SERVER)])}
    try:
        servers["mock"] = start_mock(*FAST_MOCK, root=mock_root)
        section = Section(
            "Mock throughput beside a bare aiohttp server",
            ["body", "clients", "bare req/s", "mock req/s", "mock/bare", "bare p50 ms",
             "mock p50 ms", "bare p99 ms", "mock p99 ms", "bare CPU µs/req", "mock CPU µs/req"])
        errors = 0
        for kind, body in (("json", BODY), ("stream", {**BODY, "stream": True})):
            for clients in concurrency:
                r = compare(servers, body, seconds, rounds, clients)
                b, m = r["bare"], r["mock"]
                errors += int(b["errors"] + m["errors"])
                section.rows.append((kind, clients, b["rps"], m["rps"],
                                     f"{m['rps'] / b['rps']:.2f}", b["p50"], m["p50"],
                                     b["p99"], m["p99"], b["cpu_us"], m["cpu_us"]))
    finally:
        for process, _ in servers.values():
            stop(process)
    section.notes = [
        f"{seconds:g} s per server per row, in {rounds} alternating rounds; one aiohttp load "
        "generator in this process, each server in its own process, all on 2 shared cores.",
        "A stream is the 11 server-sent events of the recording (role chunk, 8 pieces, "
        "finish, `[DONE]`); the mock runs with `--ttft 0 --tokens-per-second 1e9` and "
        "limits it never reaches.",
        "CPU µs/req is the server process's CPU time (user + system, from the kernel) per "
        "request: steadier than req/s when other programs share the cores.",
        f"Answers other than 200: {errors}.",
    ]
    section.seconds = time.perf_counter() - began
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per server per row")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--mock-root", type=Path, default=ROOT,
                        help="run the mock from this checkout instead (before/after a change)")
    args = parser.parse_args()
    print(run(args.seconds, args.rounds, tuple(args.concurrency), args.mock_root).markdown())


if __name__ == "__main__":
    main()
