"""The README's snippets run as printed, each in a fresh interpreter, in mock mode."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = README.read_text(encoding="utf-8").split("## Use the helpers in your own code")[1]
SNIPPETS = re.findall(r"```python\n(.*?)```", SECTION.split("\n## ")[0], flags=re.S)


def test_the_section_has_the_three_snippets():
    assert len(SNIPPETS) == 3


@pytest.mark.parametrize("snippet", SNIPPETS, ids=["retries", "stream", "ledger"])
def test_snippet_runs(snippet, tmp_path):
    env = {**os.environ, "QWEN_MODE": "mock"}
    done = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "mode=mock" in done.stdout
    assert "Traceback" not in done.stderr


def test_without_make_starts_the_lab_as_make_lab_does():
    """The README's path without make runs `make lab`'s own command: same file, root, settings."""
    makefile = (README.parent / "Makefile").read_text(encoding="utf-8")
    lab = re.search(r"^LAB := (.*?)(?<!\\)\n", makefile, flags=re.M | re.S).group(1)
    lab = " ".join(lab.replace("\\\n", " ").replace("$(BIN)/", "").split())
    lab = lab.replace(" $(ROOT_FLAG)", "")
    readme = README.read_text(encoding="utf-8").split("### Without make")[1]
    command = next(line for line in readme.splitlines() if line.startswith("jupyter lab"))
    assert " ".join(command.split("#")[0].split()) == lab
