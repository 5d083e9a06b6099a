"""``make bench``: run every benchmark and write their tables to ``bench/RESULTS.md``.

    python bench/run.py [--quick] [--skip-suite] [--output bench/RESULTS.md]

``--quick`` shortens every benchmark (for a check that they run, not for figures);
``--skip-suite`` leaves out the run of the whole test suite. Figures only: nothing here asserts
on time. Exits 1 when a benchmark could not run (its error is in the file).
"""

from __future__ import annotations

import argparse
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import concurrency_speedup
import large_request
import mock_throughput
import sdk_overhead
import setup_speed
import startup
import suite_times
import timing_fidelity
from common import ROOT, Section, machine

HERE = Path(__file__).resolve().parent


def benchmarks(quick: bool, suite: bool) -> list[tuple[str, Callable[[], Section]]]:
    """(title, run) for each benchmark, sized for a full or a quick run."""
    items: list[tuple[str, Callable[[], Section]]] = [
        ("mock throughput", lambda: mock_throughput.run(0.4 if quick else 2.0,
                                                        2 if quick else 4)),
        ("SDK overhead", lambda: sdk_overhead.run(40 if quick else 300, 2 if quick else 6)),
        ("start-up", lambda: startup.run(1 if quick else 5)),
        ("timing fidelity", lambda: timing_fidelity.run(1 if quick else 5)),
        ("concurrency", lambda: concurrency_speedup.run(8 if quick else 24,
                                                        0.05 if quick else 0.2)),
        ("large request", lambda: large_request.run(1 if quick else 3)),
        ("set-up", setup_speed.run),  # needs the package index
    ]
    if suite:
        items.append(("test suite", suite_times.run))
    return items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a check, not figures")
    parser.add_argument("--skip-suite", action="store_true",
                        help="leave out the run of the whole test suite")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    began = time.perf_counter()
    header = machine()
    parts, failed = [], []
    for title, bench in benchmarks(args.quick, not args.skip_suite):
        print(f"bench: {title} …", flush=True)
        try:
            section = bench()
        except Exception:  # reported in the file; the other benchmarks still run
            failed.append(title)
            parts.append(f"## {title}\n\nCould not run:\n\n```\n{traceback.format_exc()}```\n")
            continue
        print(f"bench: {title} took {section.seconds:.0f} s", flush=True)
        parts.append(section.markdown())
    total = time.perf_counter() - began
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`python bench/run.py{' --quick' if args.quick else ''}`) on "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, in {total:.0f} s. Figures, not pass/fail: "
        "they move with the machine and with whatever else it runs. How each is measured is "
        "in the docstring of its script in `bench/`; `bench/README.md` says what changed "
        "because of them.",
        "",
        *[f"- {line}" for line in header],
        "",
        *parts,
    ]
    text = "\n".join(lines).rstrip() + "\n"
    args.output.write_text(text, encoding="utf-8")
    print(text)
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    print(f"bench: wrote {shown} in {total:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
