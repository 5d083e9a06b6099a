"""Write the navigation line of every notebook and the table of contents in notebooks/README.md.

Run ``python tools/navigation.py`` after adding or renaming a notebook; never edit a navigation
cell by hand (a test fails when they are stale). A navigation cell is a markdown cell tagged
``navigation``; each notebook has one after its goals and one at the end.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TAG = "navigation"
TOC_START, TOC_END = "<!-- contents:start -->", "<!-- contents:end -->"


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def title(path: Path) -> str:
    """The notebook's H1, e.g. ``00 · Start here: …``."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        match = re.search(r"^# (.+)$", cell.source, flags=re.M)
        if cell.cell_type == "markdown" and match:
            return match.group(1).strip()
    raise ValueError(f"{path.name} has no '# title' heading in a markdown cell")


def short(text: str) -> str:
    return text.split(":")[0].split(" — ")[0].strip()


def navigation_line(index: int, paths: list[Path], titles: list[str]) -> str:
    parts = []
    if index > 0:
        parts.append(f"< [{short(titles[index - 1])}]({paths[index - 1].name})")
    parts.append("[Contents](README.md)")
    if index + 1 < len(paths):
        parts.append(f"[{short(titles[index + 1])}]({paths[index + 1].name}) >")
    return " | ".join(parts)


def update(check: bool = False) -> list[str]:
    """Rewrite navigation cells and the contents; return the files that changed (or would)."""
    paths = notebooks()
    titles = [title(p) for p in paths]
    changed = []
    for index, path in enumerate(paths):
        notebook = nbformat.read(path, as_version=4)
        line = navigation_line(index, paths, titles)
        cells = [c for c in notebook.cells if TAG in c.metadata.get("tags", [])]
        if not cells:
            raise ValueError(f"{path.name} has no cell tagged '{TAG}'")
        if any(c.source != line for c in cells):
            changed.append(path.name)
            if not check:
                for cell in cells:
                    cell.source = line
                nbformat.write(notebook, path)
    readme = NOTEBOOKS / "README.md"
    text = readme.read_text(encoding="utf-8")
    rows = "\n".join(f"| [{t}]({p.name}) |" for p, t in zip(paths, titles, strict=True))
    contents = f"{TOC_START}\n| Notebook |\n|---|\n{rows}\n{TOC_END}"
    new = re.sub(f"{TOC_START}.*?{TOC_END}", contents, text, flags=re.S)
    if new != text:
        changed.append(readme.name)
        if not check:
            readme.write_text(new, encoding="utf-8")
    return changed


if __name__ == "__main__":
    stale = update(check="--check" in sys.argv)
    print("\n".join(stale) or "navigation up to date")
    sys.exit(1 if stale and "--check" in sys.argv else 0)
