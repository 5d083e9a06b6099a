"""How long a learner's set-up takes: ``make setup``'s install (uv, from requirements.lock) beside
a plain ``pip install`` of the same requirements, in the same run.

Each install starts from a new virtual environment and empty download caches (a participant's
laptop on the day), then once more with uv's cache kept (the second course on the same laptop).
Needs the package index; prints a Markdown table; never asserts.

    python bench/setup_speed.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, Section

SYSTEM_PYTHON = getattr(sys, "_base_executable", sys.executable)


def _timed(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def install(kind: str, folder: Path, caches: Path) -> float:
    """Seconds from no environment to the course installed, ``kind`` ``uv`` or ``pip``."""
    env = {**os.environ, "UV_CACHE_DIR": str(caches / "uv"), "PIP_CACHE_DIR": str(caches / "pip"),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("VIRTUAL_ENV", None)
    venv = folder / kind
    began = time.perf_counter()
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(venv)], check=True)
    if kind == "uv":
        _timed(["bash", "tools/install.sh", str(venv)], env)
    else:
        _timed([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r",
                "requirements.txt", "-e", "."], env)
    return time.perf_counter() - began


def run() -> Section:
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qwen-setup-bench-") as scratch:
        folder = Path(scratch)
        pip = install("pip", folder / "cold-pip", folder / "caches-pip")
        uv = install("uv", folder / "cold-uv", folder / "caches-uv")
        warm = install("uv", folder / "warm-uv", folder / "caches-uv")  # uv's cache kept
    section = Section("Set-up", ["install", "seconds", "share of pip's time"], [
        ("`pip install -r requirements.txt -e .`, empty cache", pip, "100%"),
        ("`make setup`'s install (uv, requirements.lock), empty caches", uv,
         f"{uv / pip:.0%}"),
        ("the same, uv's cache kept from the run above", warm, f"{warm / pip:.0%}"),
    ])
    section.notes = [
        "Each row starts from `python -m venv` (included). The goal for a room is at most "
        "35 % of pip's time with empty caches.",
        "Downloads come from the package index this machine reaches; a slower link stretches "
        "both columns, pip's more (it downloads and installs one package at a time)."]
    section.seconds = time.perf_counter() - began
    return section


if __name__ == "__main__":
    print(run().markdown())
