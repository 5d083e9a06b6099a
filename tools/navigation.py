"""Write the navigation line of every notebook and the contents page of each edition.

Run ``python tools/navigation.py`` after adding or renaming a notebook (``--check`` only reports);
never edit a navigation cell by hand (a test fails when they are stale). A navigation cell is a
markdown cell tagged ``navigation``; each notebook has one after its goals and one at the end.

The course has two editions with the same file names, ``notebooks/en/`` and ``notebooks/zh/``.
In each, the core notebooks (``00``–``89``) form one chain, previous and next; an appendix
(``9x_…``) leads back to the notebook it continues — the English appendix says which under its
title ("continued from notebook NN"), and its Chinese twin continues the same one. Every line
ends with a link to the same notebook in the other edition. Each edition's ``README.md`` lists
its notebooks and appendices between the ``contents`` markers.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TAG = "navigation"
TOC_START, TOC_END = "<!-- contents:start -->", "<!-- contents:end -->"
APPENDIX = re.compile(r"continued from notebook (\d\d)")


@dataclass(frozen=True)
class Edition:
    """The words one edition's navigation uses."""

    lang: str
    name: str  # how the other edition links to this one
    contents: str
    back: str
    notebook: str
    appendices: str
    appendix: str
    continues: str


EDITIONS = {
    "en": Edition("en", "English", "Contents", "Back to", "Notebook",
                  "Appendices, for depth once the notebook they continue is done:",
                  "Appendix", "Continues"),
    "zh": Edition("zh", "中文", "目录", "返回", "Notebook",
                  "附录：学完对应的 Notebook 之后，想深入时再读：", "附录", "接续"),
}


def notebooks(lang: str) -> list[Path]:
    return sorted((NOTEBOOKS / lang).glob("[0-9][0-9]_*.ipynb"))


def is_appendix(path: Path) -> bool:
    return path.name.startswith("9")


@cache
def title(path: Path) -> str:
    """The notebook's H1, e.g. ``00 · Start here: …``."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        match = re.search(r"^# (.+)$", cell.source, flags=re.M)
        if cell.cell_type == "markdown" and match:
            return match.group(1).strip()
    raise ValueError(f"{path.name} has no '# title' heading in a markdown cell")


def short(text: str) -> str:
    return re.split(r"[:：]| — ", text)[0].strip()


def parent(path: Path) -> Path:
    """The core notebook an appendix continues, in the appendix's own edition."""
    english = NOTEBOOKS / "en" / path.name
    match = APPENDIX.search(english.read_text(encoding="utf-8"))
    if not match:
        raise ValueError(f"{english.name} is an appendix but never says "
                         "'continued from notebook NN'")
    return next((path.parent).glob(f"{match.group(1)}_*.ipynb"))


def other_language(path: Path, edition: Edition) -> str:
    other = EDITIONS["zh" if edition.lang == "en" else "en"]
    return f"[{other.name}](../{other.lang}/{path.name})"


def navigation_line(index: int, paths: list[Path], edition: Edition) -> str:
    path, parts = paths[index], []
    if is_appendix(path):
        core = parent(path)
        parts.append(f"< [{edition.back} {short(title(core))}]({core.name})")
        parts.append(f"[{edition.contents}](README.md)")
    else:
        core = [p for p in paths if not is_appendix(p)]
        at = core.index(path)
        if at > 0:
            parts.append(f"< [{short(title(core[at - 1]))}]({core[at - 1].name})")
        parts.append(f"[{edition.contents}](README.md)")
        if at + 1 < len(core):
            parts.append(f"[{short(title(core[at + 1]))}]({core[at + 1].name}) >")
    parts.append(other_language(path, edition))
    return " | ".join(parts)


def contents(paths: list[Path], edition: Edition) -> str:
    core = "\n".join(f"| [{title(p)}]({p.name}) |" for p in paths if not is_appendix(p))
    extra = "\n".join(f"| [{title(p)}]({p.name}) | {short(title(parent(p)))} |"
                      for p in paths if is_appendix(p))
    return (f"{TOC_START}\n| {edition.notebook} |\n|---|\n{core}\n\n{edition.appendices}\n\n"
            f"| {edition.appendix} | {edition.continues} |\n|---|---|\n{extra}\n{TOC_END}")


def update(check: bool = False) -> list[str]:
    """Rewrite navigation cells and the contents; return the files that changed (or would)."""
    changed = []
    for edition in EDITIONS.values():
        paths = notebooks(edition.lang)
        for index, path in enumerate(paths):
            notebook = nbformat.read(path, as_version=4)
            line = navigation_line(index, paths, edition)
            cells = [c for c in notebook.cells if TAG in c.metadata.get("tags", [])]
            if not cells:
                raise ValueError(f"{path} has no cell tagged '{TAG}'")
            if any(c.source != line for c in cells):
                changed.append(f"{edition.lang}/{path.name}")
                if not check:
                    for cell in cells:
                        cell.source = line
                    nbformat.write(notebook, path)
        readme = NOTEBOOKS / edition.lang / "README.md"
        text = readme.read_text(encoding="utf-8")
        new = re.sub(f"{TOC_START}.*?{TOC_END}", contents(paths, edition), text, flags=re.S)
        if new != text:
            changed.append(f"{edition.lang}/README.md")
            if not check:
                readme.write_text(new, encoding="utf-8")
    return changed


if __name__ == "__main__":
    stale = update(check="--check" in sys.argv)
    print("\n".join(stale) or "navigation up to date")
