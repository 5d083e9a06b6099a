"""The mock's requests per second beside a bare aiohttp server returning a fixed body.

Both servers run as separate processes on loopback; one load generator (aiohttp, N concurrent
workers) drives each in turn with the same load. Prints a Markdown table; never asserts.

    python bench/mock_throughput.py [--seconds 3] [--concurrency 1 10 50]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
KEY = "mock-key-valid"
BODY = {"model": "qwen-plus", "messages": [{"role": "user", "content": "你好"}]}
BARE_SERVER = Path(__file__).with_name("bare_server.py")


def start(command: list[str]) -> tuple[subprocess.Popen, str]:
    """Start a server process and return it with the URL it prints on its first line."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    url = process.stdout.readline().split()[3]
    return process, url


async def load(url: str, body: dict, seconds: float, concurrency: int) -> dict[str, float]:
    """Requests per second and latency percentiles for one server and one load."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {KEY}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
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
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "p50": statistics.median(latencies) * 1000,
            "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 50])
    args = parser.parse_args()
    mock, mock_url = start([sys.executable, "-m", "qwen_helpers.mock", "--port", "0",
                            "--ttft", "0", "--tokens-per-second", "1e9", "--rpm", "100000000",
                            "--tpm", "1000000000"])
    bare, bare_url = start([sys.executable, str(BARE_SERVER)])
    path = "/compatible-mode/v1/chat/completions"
    rows = []
    try:
        for kind, body in (("json", BODY), ("stream", {**BODY, "stream": True})):
            for concurrency in args.concurrency:
                results = {}
                for name, url in (("bare", bare_url), ("mock", mock_url)):
                    results[name] = asyncio.run(load(url + path, body, args.seconds,
                                                     concurrency))
                rows.append((kind, concurrency, results))
    finally:
        for process in (mock, bare):
            process.terminate()
            process.wait(10)
    import aiohttp as versioned

    print(f"Mock throughput · {time.strftime('%Y-%m-%d')} · Python {platform.python_version()} "
          f"· aiohttp {versioned.__version__} · {platform.machine()} · {args.seconds:g} s a cell")
    print()
    print("| body | clients | bare req/s | mock req/s | mock/bare | mock p50 ms | mock p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind, concurrency, results in rows:
        bare_r, mock_r = results["bare"], results["mock"]
        print(f"| {kind} | {concurrency} | {bare_r['rps']:.0f} | {mock_r['rps']:.0f} | "
              f"{mock_r['rps'] / bare_r['rps']:.2f} | {mock_r['p50']:.1f} | {mock_r['p99']:.1f} |")
    failures = sum(r[n]["errors"] for _, _, r in rows for n in ("bare", "mock"))
    print(f"\nnon-200 answers: {failures}")


if __name__ == "__main__":
    main()
