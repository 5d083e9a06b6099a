"""Run every test and notebook in mock mode, with no key, no home folder of the user's, fast waits.

Set at configuration time, before nbval starts a kernel, so the notebooks' kernels inherit it:
a developer's own ``.env`` or exported key never turns a test run into a live run.

It also runs the gates that watch the whole run (issue 7); any finding fails the run:

- **A canary key.** ``DASHSCOPE_API_KEY`` holds a fresh fake key of the real shape (``sk-`` and
  32 hex) while ``QWEN_MODE=mock`` keeps the run offline, and the notebooks' kernels run with a
  home folder whose ``~/.dashscope/api_key`` holds an ``sk-sp-`` variant (the file the dashscope
  SDK falls back to; the tests' own home stays empty, as ``tests/test_errors.py`` needs). At the
  end the notebooks, the project's files, every file the run wrote (the homes, TMPDIR and
  pytest's ``tmp_path`` all live in one run folder) and every test report are scanned for both,
  and for key-shaped strings (:mod:`qwen_helpers.secrets_scan`).
- **Loopback only.** ``tools/guard`` refuses and records any connection outside loopback, in
  this process and, through ``PYTHONPATH``, in every Python process started from it (nbval's
  kernels, the examples, the mock's command line).
- **Nothing left running.** No child process, thread (± 2) or listening socket may outlive the
  run.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

KEY_VARIABLES = ("DASHSCOPE_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "DASHSCOPE_BASE_URL",
                 "DASHSCOPE_HTTP_BASE_URL", "DASHSCOPE_API_KEY_FILE_PATH")
ROOT = Path(__file__).resolve().parent
GUARD = ROOT / "tools" / "guard"
RUN: dict = {}
"""This run's folder, canaries and findings; tests read it through the ``gate_run`` fixture."""


def pytest_configure(config) -> None:
    for name in KEY_VARIABLES:
        os.environ.pop(name, None)
    os.environ["QWEN_MODE"] = "mock"
    # Backoff demos wait real seconds for a learner; under test the clock runs 20× faster, and
    # the notebooks print the scale they ran at.
    os.environ.setdefault("QWEN_TIME_SCALE", "0.05")
    for old in Path(tempfile.gettempdir()).glob("qwen-test-run-*"):  # kept by failed runs
        if time.time() - old.stat().st_mtime > 2 * 86400:
            shutil.rmtree(old, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix="qwen-test-run-"))
    home, kernel_home, tmp = folder / "home", folder / "kernel-home", folder / "tmp"
    key_file = kernel_home / ".dashscope" / "api_key"
    key_file.parent.mkdir(parents=True)
    home.mkdir()
    tmp.mkdir()
    RUN.update(folder=folder, home=home, kernel_home=kernel_home, tmp=tmp, key_file=key_file,
               started=time.time(), reports=0, saved_tempdir=tempfile.tempdir,
               saved_environment={k: os.environ.get(k) for k in ("HOME", "TMPDIR")},
               canary="sk-" + secrets.token_hex(16), home_canary="sk-sp-" + secrets.token_hex(16),
               guard_log=folder / "network-attempts.jsonl", report_findings=[], figures={},
               children=_children(), resources=_resources())
    key_file.write_text(RUN["home_canary"] + "\n", encoding="utf-8")
    os.environ.update(HOME=str(home), TMPDIR=str(tmp), DASHSCOPE_API_KEY=RUN["canary"],
                      QWEN_NETWORK_GUARD_LOG=str(RUN["guard_log"]))
    tempfile.tempdir = str(tmp)  # pytest's tmp_path and every mkdtemp of this process
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(GUARD), os.environ.get("PYTHONPATH")) if p)
    spec = importlib.util.spec_from_file_location("network_guard", GUARD / "network_guard.py")
    guard = sys.modules["network_guard"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guard)
    guard.install()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    """Before a notebook's kernel starts: mock mode, the canary, the sandbox (tests/ drops them)."""
    if item.path.suffix == ".ipynb" and RUN:
        os.environ.update(QWEN_MODE="mock", DASHSCOPE_API_KEY=RUN["canary"],
                          HOME=str(RUN["kernel_home"]), TMPDIR=str(RUN["tmp"]))


def pytest_runtest_logreport(report) -> None:
    """Look for the canaries in every report: tracebacks, captured output, logs."""
    if not RUN:
        return
    forms = RUN.setdefault("forms", _forms())
    RUN["reports"] += 1
    for section, text in [("traceback", report.longreprtext), *report.sections]:
        found = [name for name, form in forms if form in text]
        line = f"{report.nodeid} ({section}): {', '.join(found)}"
        if found and line not in RUN["report_findings"]:  # later phases repeat earlier output
            RUN["report_findings"].append(line)


@pytest.fixture(scope="session")
def gate_run() -> dict:
    """This run's folder, canaries and the figures the gate tests report (``figures``)."""
    return RUN


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """After every test, notebook and report has been written: the sweep, then the verdict."""
    result = yield
    if RUN:
        started = time.monotonic()
        RUN["problems"] = problems = _sweep(session.config)
        RUN["summary"].append(f"sweep time: {time.monotonic() - started:.1f} s")
        if problems and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        tempfile.tempdir = RUN["saved_tempdir"]  # what runs after the session writes elsewhere
        for name, value in RUN["saved_environment"].items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if session.exitstatus == 0 and not os.environ.get("QWEN_KEEP_RUN_FOLDER"):
            shutil.rmtree(RUN["folder"], ignore_errors=True)
    return result


def pytest_terminal_summary(terminalreporter, exitstatus) -> None:
    if not RUN or "problems" not in RUN:
        return
    write = terminalreporter.write_line
    terminalreporter.section("reliability gates (issue 7)")
    for name, value in RUN["figures"].items():
        if not name.startswith("_"):  # "_name": a gate's own bookkeeping
            write(f"{name}: {value}")
    for line in RUN["summary"]:
        write(line)
    for problem in RUN["problems"]:
        write(f"GATE FAILED: {problem}", red=True, bold=True)
    if RUN["problems"] or exitstatus or os.environ.get("QWEN_KEEP_RUN_FOLDER"):
        write(f"run folder kept for inspection: {RUN['folder']}")


def _forms() -> list[tuple[str, str]]:
    from qwen_helpers.secrets_scan import secret_forms

    return [(f"{label} {name}", text) for label in ("canary", "home_canary")
            for name, text in secret_forms(RUN[label])]


def _resources() -> dict[str, int]:
    """Threads, open file descriptors and listening inet sockets of this process."""
    import threading

    import psutil

    me = psutil.Process()
    sockets = me.net_connections("inet")
    listening = sum(c.status == psutil.CONN_LISTEN for c in sockets)
    return {"threads": threading.active_count(), "fds": me.num_fds(), "listening": listening,
            "connections": len(sockets) - listening}


def _children() -> set[int]:
    import psutil

    return {p.pid for p in psutil.Process().children(recursive=True)}


def _sweep(config) -> list[str]:
    """Every gate's findings, as lines that say what and where."""
    import network_guard
    import psutil

    from qwen_helpers.secrets_scan import Scanner, project_files

    canaries = (RUN["canary"], RUN["home_canary"])
    started = RUN["started"]
    written = [*_walk_changed(ROOT, started), *(
        Path(p) for p in (config.option.basetemp, getattr(config.option, "xmlpath", None)) if p)]
    everything = Scanner(canaries).scan([*project_files(ROOT),
                                         *sorted(ROOT.glob("notebooks/**/*.ipynb"))])
    # What the run wrote (logs, caches, a browser profile) is searched for the canaries and key
    # shapes, without detect-secrets' detectors: its ids and hashes are no one's key (a
    # JupyterLab log's "123…:uuid" looks like a Telegram bot token to them).
    run_files = Scanner(canaries, detectors=False).scan([RUN["folder"], *written],
                                                        exclude=[RUN["key_file"]])
    findings = [str(f) for f in everything.findings + run_files.findings]
    attempts = network_guard.attempts(RUN["guard_log"])
    alive = _alive_children(psutil)
    before, after = RUN["resources"], _resources()
    grown = [f"{after[name] - before[name]} more {name} than at the start ({what})"
             for name, slack, what in (("threads", 2, "a mock or a client never stopped"),
                                       ("listening", 0, "a server never stopped"))
             if after[name] - before[name] > slack]
    RUN["summary"] = [
        f"secrets sweep: {everything.files + run_files.files} files scanned "
        f"({run_files.files} written by the run under {RUN['folder']}), "
        f"{len(findings) + len(RUN['report_findings'])} finding(s); {RUN['reports']} test "
        "reports checked",
        f"network guard: {len(attempts)} non-loopback attempt(s) refused",
        f"child processes left running: {len(alive)}; this process, start → end: " + ", ".join(
            f"{k} {before[k]} → {v}" for k, v in after.items())
        + " (connections: client sockets still open, such as idle ones in an SDK's pool)",
    ]
    return ([f"secret found: {f}" for f in findings]
            + [f"secret in a test report: {f}" for f in RUN["report_findings"]]
            + [f"network attempt outside loopback: {a['action']} {a['target']} from "
               f"{a['program']} at {a['caller']}" for a in attempts]
            + [f"child process still running: pid {p.pid} {_command(p)}" for p in alive]
            + [f"left behind in the test process: {g}" for g in grown])


def _alive_children(psutil, patience: float = 5.0) -> list:
    """Child processes this run started that are still running, after a short grace period."""
    deadline = time.monotonic() + patience
    while True:
        alive = []
        for process in psutil.Process().children(recursive=True):
            try:
                if process.pid not in RUN["children"] and \
                        process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(process)
            except psutil.Error:
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def _command(process) -> str:
    try:
        return " ".join(process.cmdline())[:160]
    except Exception:  # it may have ended meanwhile
        return "(ended)"


def _walk_changed(root: Path, since: float):
    """Files in the project changed during the run (caches, logs), outside .git and .venv."""
    for folder, folders, files in os.walk(root):
        folders[:] = [f for f in folders if f not in (".git", ".venv", "venv")]
        for name in files:
            path = Path(folder) / name
            try:
                if path.stat().st_mtime >= since:
                    yield path
            except OSError:
                continue
