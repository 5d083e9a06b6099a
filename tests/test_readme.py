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


@pytest.mark.parametrize("english, chinese", [("README.md", "README.zh-CN.md"),
                                              ("docs/workshop.md", "docs/workshop.zh-CN.md")])
def test_each_page_links_its_twin_in_the_first_line(english, chinese):
    root = README.parent
    en_first = (root / english).read_text(encoding="utf-8").splitlines()[0]
    zh_first = (root / chinese).read_text(encoding="utf-8").splitlines()[0]
    assert f"]({Path(chinese).name})" in en_first and f"]({Path(english).name})" in zh_first


def test_the_chinese_readme_s_snippets_are_the_english_ones():
    """Same code in both READMEs' "own code" section (comments may be translated)."""
    chinese = (README.parent / "README.zh-CN.md").read_text(encoding="utf-8")
    snippets = re.findall(r"```python\n(.*?)```", chinese, flags=re.S)

    def code(text: str) -> list[str]:
        return [line.split("#")[0].rstrip() for line in text.splitlines()]

    for snippet in SNIPPETS:
        assert any(code(snippet) == code(other) for other in snippets), snippet[:80]
