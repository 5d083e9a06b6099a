"""How long the tests take: the whole suite's wall time, each notebook's nbval run, each file.

Runs ``python -m pytest`` once (the same suite as ``make test``: tests/, the notebooks through
nbval, the browser test when Chromium is there) with a JUnit XML report, and reads the
per-test times from it. The log and the report go to ``test-artifacts/bench/``. Prints a
Markdown table; never asserts (a failing suite is reported, not raised).

    python bench/suite_times.py [pytest arguments…]
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections import defaultdict

from common import ROOT, Section

ARTIFACTS = ROOT / "test-artifacts" / "bench"


def run(extra: tuple[str, ...] = ()) -> Section:
    """Run the suite once and tabulate its times."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report, log = ARTIFACTS / "junit.xml", ARTIFACTS / "pytest.log"
    report.unlink(missing_ok=True)
    began = time.perf_counter()
    with log.open("w") as out:
        code = subprocess.call([sys.executable, "-m", "pytest", "-q", f"--junitxml={report}",
                                *extra], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - began
    summary = _summary(log.read_text(errors="replace"))
    section = Section("The test suite", ["part", "tests", "seconds"])
    if not report.exists():
        section.notes = [f"pytest exited {code} without a report; see {log.relative_to(ROOT)}."]
        section.seconds = wall
        return section
    groups: dict[str, list[float]] = defaultdict(list)
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        groups[_group(case.get("classname", ""))].append(float(case.get("time", 0)))
    section.rows.append(("**whole suite, wall time** (`python -m pytest`)",
                         sum(len(v) for v in groups.values()), wall))
    notebooks = sorted(name for name in groups if name.endswith(".ipynb"))
    section.rows.append(("all notebooks (nbval)", sum(len(groups[n]) for n in notebooks),
                         sum(sum(groups[n]) for n in notebooks)))
    for name in notebooks:
        section.rows.append((f"· `{name}` (cells)", len(groups[name]), sum(groups[name])))
    files = sorted((n for n in groups if not n.endswith(".ipynb")),
                   key=lambda n: -sum(groups[n]))
    section.rows.append(("all test files", sum(len(groups[n]) for n in files),
                         sum(sum(groups[n]) for n in files)))
    for name in files[:6]:
        section.rows.append((f"· `{name}`", len(groups[name]), sum(groups[name])))
    section.notes = [
        f"pytest said: {summary or f'exit code {code}'}.",
        "Per-part seconds are pytest's own per-test times (set-up, call and tear-down; a "
        "notebook's kernel start falls in its first cell), so they add up to less than the "
        "wall time, which also counts start-up and collection. Only the six slowest test "
        "files are listed.",
    ]
    section.seconds = wall
    return section


def _group(classname: str) -> str:
    """``notebooks.05_streaming.ipynb`` stays whole; ``tests.test_mock_server`` → its file."""
    if classname.endswith(".ipynb"):
        return classname.split(".", 1)[1]
    parts = classname.split(".")
    module = next((p for p in parts if p.startswith("test_")), parts[-1])
    return f"{module}.py"


def _summary(log: str) -> str:
    lines = [line.strip("= ") for line in log.splitlines()
             if re.search(r"\d+ (passed|failed|error)", line)]
    return lines[-1] if lines else ""


def main() -> None:
    print(run(tuple(sys.argv[1:])).markdown())


if __name__ == "__main__":
    main()
