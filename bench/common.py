"""What every benchmark shares: server processes on loopback, percentiles, tables, the machine.

Benchmarks print figures and never assert on time; ``bench/run.py`` collects their tables into
``bench/RESULTS.md``.
"""

from __future__ import annotations

import math
import os
import platform
import socket
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = "mock-key-valid"
"""The mock's demo key (a teaching key, not a secret)."""
FAST_MOCK = ["--ttft", "0", "--tokens-per-second", "1e9", "--rpm", "100000000",
             "--tpm", "1000000000"]
"""Command-line flags for a mock that never waits and never throttles."""

if str(ROOT) not in sys.path:  # `python bench/x.py` from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))


@dataclass
class Section:
    """One benchmark's result: a heading, a Markdown table and notes under it."""

    title: str
    header: Sequence[str]
    rows: list[Sequence[object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    """How long the benchmark itself took."""

    def markdown(self) -> str:
        """The section as Markdown: heading, table, notes."""
        lines = [f"## {self.title}", "", table(self.header, self.rows)]
        if self.notes:
            lines += [""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table; columns after the first are right-aligned (they hold figures)."""
    align = ["---"] + ["---:"] * (len(header) - 1)
    lines = [_row(header), _row(align)] + [_row([_cell(v) for v in row]) for row in rows]
    return "\n".join(lines)


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"
    return str(value)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of values (``fraction`` 0.5 is the median); 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def start_server(command: list[str], cwd: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """Start a server process; return it with the ``http://…`` URL on its first output line."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=cwd,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = process.stdout.readline() if process.stdout else ""
    url = next((word for word in line.split() if word.startswith("http://")), None)
    if url is None:
        stop(process)
        raise RuntimeError(f"{command[:4]} printed {line!r} instead of its URL; run it by hand "
                           "to see why it did not start.")
    return process, url


def start_mock(*flags: str, root: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """The command-line mock on a free loopback port (``root``: the checkout to run it from)."""
    return start_server([sys.executable, "-m", "qwen_helpers.mock", "--port", "0", *flags],
                        cwd=root)


def stop(process: subprocess.Popen) -> None:
    """Stop a server process started here (terminate, then kill if it lingers)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    if process.stdout:
        process.stdout.close()


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def version(package: str) -> str:
    """An installed package's version, or ``-`` when it is not installed."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def git_commit() -> str:
    """The checkout's commit (short), with ``+changes`` when the work tree differs from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                                capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, text=True, capture_output=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+changes" if dirty else "")


def machine() -> list[str]:
    """Lines describing where the figures were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f" · load average at start {os.getloadavg()[0]:.2f}"
    packages = ", ".join(f"{name} {version(name)}" for name in (
        "aiohttp", "httpx", "openai", "dashscope", "pytest", "nbval", "jupyterlab", "playwright"))
    return [
        f"Machine: {platform.system()} {platform.release()} · {cpu} · {os.cpu_count()} cores"
        f"{memory}{load}",
        f"Python {platform.python_version()} · {packages}",
        f"Commit: {git_commit()}",
    ]
