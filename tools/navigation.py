"""Write the navigation line of every notebook and the table of contents in notebooks/README.md.

Run ``python tools/navigation.py`` after adding or renaming a notebook; never edit a navigation
cell by hand (a test fails when they are stale). A navigation cell is a markdown cell tagged
``navigation``; each notebook has one after its goals and one at the end.

The core notebooks (``00``–``89``) form one chain, previous and next. An appendix (``9x_…``)
says "continued from notebook NN" under its title; its navigation leads back to that notebook,
and the contents list the appendices in a table of their own.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TAG = "navigation"
TOC_START, TOC_END = "<!-- contents:start -->", "<!-- contents:end -->"


APPENDIX = re.compile(r"continued from notebook (\d\d)")


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def is_appendix(path: Path) -> bool:
    return path.name.startswith("9")


def parent(path: Path) -> Path:
    """The core notebook an appendix continues (named under its title)."""
    text = path.read_text(encoding="utf-8")
    match = APPENDIX.search(text)
    if not match:
        raise ValueError(f"{path.name} is an appendix but never says "
                         "'continued from notebook NN'")
    return next(NOTEBOOKS.glob(f"{match.group(1)}_*.ipynb"))


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


def appendix_line(path: Path) -> str:
    core = parent(path)
    return f"< [Back to {short(title(core))}]({core.name}) | [Contents](README.md)"


def update(check: bool = False) -> list[str]:
    """Rewrite navigation cells and the contents; return the files that changed (or would)."""
    paths = [p for p in notebooks() if not is_appendix(p)]
    appendices = [p for p in notebooks() if is_appendix(p)]
    titles = [title(p) for p in paths]
    changed = []
    lines = {path: navigation_line(i, paths, titles) for i, path in enumerate(paths)}
    lines.update({path: appendix_line(path) for path in appendices})
    for path, line in lines.items():
        notebook = nbformat.read(path, as_version=4)
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
    extra = "\n".join(f"| [{title(p)}]({p.name}) | {short(title(parent(p)))} |" for p in appendices)
    contents = (f"{TOC_START}\n| Notebook |\n|---|\n{rows}\n\n"
                f"Appendices, for depth once the notebook they continue is done:\n\n"
                f"| Appendix | Continues |\n|---|---|\n{extra}\n{TOC_END}")
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
