"""docs/sources.md is where the course's facts come from: cited by its sections, never elsewhere.

The facts were first gathered in a reference file that lives outside this repository, so a
reader could not open it. Every citation now points at ``docs/sources.md``, and these tests keep
it that way: no file of the project (tracked, or new and not ignored) cites the outside file,
and every ``sources.md §N`` (or ``sources.md E1``) names a section that ``docs/sources.md`` has.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "docs" / "sources.md"
OUTSIDE = ("shared/" + "reference", "dashscope-" + "wire", "reference " + "§")
"""Ways of citing the outside file (written in pieces so this file does not cite it)."""
HEADING = re.compile(r"^#{2,4} (?:§(\d+(?:\.\d+)*)|(E\d+))\b", re.M)
SECTION = r"(?:§\d+(?:\.\d+)*|E\d+)"
CITATION = re.compile(rf"sources\.md`*((?:(?:\s|,|and|or|/)*{SECTION})+)")


def tracked_files() -> list[Path]:
    """Every file of the project: tracked by git, or new and not ignored."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: no list of tracked files")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True)
    paths = [ROOT / name for name in listed.stdout.decode().split("\0") if name]
    return [p for p in paths if p.is_file()]


def sections() -> set[str]:
    return {number or example for number, example in HEADING.findall(SOURCES.read_text("utf-8"))}


def cited(text: str) -> list[str]:
    """The sections named by every ``sources.md …`` citation in ``text``."""
    return [token.lstrip("§") for group in CITATION.findall(text)
            for token in re.findall(SECTION, group)]


def test_the_sources_page_exists_and_explains_its_labels():
    text = SOURCES.read_text("utf-8")
    for label in ("DOC", "SDK", "3P", "PROBE", "UNCONFIRMED"):
        assert f"**{label}**" in text, f"docs/sources.md does not explain the label {label}"
    assert "checked 2026-" in text
    assert "[docs/sources.md](docs/sources.md)" in (ROOT / "README.md").read_text("utf-8")


def test_section_numbers_are_unique():
    found = [n or e for n, e in HEADING.findall(SOURCES.read_text("utf-8"))]
    assert len(found) == len(set(found)), sorted(s for s in found if found.count(s) > 1)


def test_the_citation_pattern_reads_lists_of_sections():
    assert cited("(docs/sources.md §4.1, §4.2) and §9") == ["4.1", "4.2"]
    assert cited("docs/sources.md §3 and §6.2, plus") == ["3", "6.2"]
    assert cited("docs/sources.md E1, E3 and E8 (§4)") == ["E1", "E3", "E8"]
    assert cited("``docs/sources.md`` §1.1.") == ["1.1"]
    assert cited("see docs/sources.md for more") == []


def test_no_tracked_file_cites_the_reference_outside_the_repository():
    offenders = []
    for path in [*tracked_files(), SOURCES]:
        if path == Path(__file__).resolve():
            continue
        data = path.read_bytes()
        offenders += [f"{path.relative_to(ROOT)}: {needle!r}" for needle in OUTSIDE
                      if needle.encode() in data]
    assert not offenders, ("cite docs/sources.md (same section number) or the official page "
                           f"instead of the reference outside the repository: {offenders}")


def test_every_citation_names_a_section_of_the_sources_page():
    known, missing = sections(), []
    assert {"1", "1.3", "6.2", "8.1", "8.4", "8.5", "E2"} <= known
    for path in [*tracked_files(), SOURCES]:
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        missing += [f"{path.relative_to(ROOT)}: §{s}" for s in cited(text) if s not in known]
    assert not missing, f"these cite a section docs/sources.md does not have: {missing}"
