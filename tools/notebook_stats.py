"""Words of prose and code cells per notebook: ``python tools/notebook_stats.py [paths]``.

Words are counted in markdown cells (navigation cells aside), code and HTML left out; a Chinese
character counts as one word.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
_CODE = re.compile(r"```.*?```|`[^`]*`|<[^>]+>|\(http[^)]*\)|\([^)]*\.(?:ipynb|svg|dot|md)\)", re.S)


def stats(path: Path) -> tuple[int, int]:
    """(prose words, code cells) of one notebook."""
    notebook = nbformat.read(path, as_version=4)
    words = 0
    for cell in notebook.cells:
        if cell.cell_type != "markdown" or "navigation" in cell.metadata.get("tags", []):
            continue
        text = _CODE.sub(" ", cell.source)
        words += len(re.findall(r"[\u4e00-\u9fff]", text))
        words += len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'’-]*", text))
    return words, sum(cell.cell_type == "code" for cell in notebook.cells)


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(
        p for lang in ("en", "zh") for p in (ROOT / "notebooks" / lang).glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        words, cells = stats(path)
        print(f"{path.relative_to(ROOT) if path.is_absolute() else path}: {words} words, "
              f"{cells} code cells")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
