"""Two editions, one program: notebooks/en and notebooks/zh hold the same notebooks, which run
the same code; only prose, comments and string literals (prompts, printed labels) differ.

A failure names the notebook and the code cell, counted from 1 among the code cells.
"""

from __future__ import annotations

import io
import re
import sys
import tokenize
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT / "tools"))
import navigation  # noqa: E402  (tools/ is not a package)

NAMES = sorted({p.name for lang in ("en", "zh") for p in (NOTEBOOKS / lang).glob("[0-9]*.ipynb")})
FSTRING_START = getattr(tokenize, "FSTRING_START", -1)
FSTRING_END = getattr(tokenize, "FSTRING_END", -1)
SKIPPED = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
           tokenize.ENDMARKER)


def program(source: str) -> list[str]:
    """A code cell's tokens with comments set aside and every string literal as ``<str>``.

    Shell lines (``!…``) and magics (``%…``) are not Python; they are compared as they are,
    string-like parts included, after the first word.
    """
    python, shell = [], []
    for line in source.splitlines():
        (shell if line.lstrip().startswith(("!", "%")) else python).append(line)
    tokens, depth = [], 0
    for token in tokenize.generate_tokens(io.StringIO("\n".join(python)).readline):
        if token.type == FSTRING_START:  # Python 3.12+ splits an f-string into pieces
            depth += 1
        elif token.type == FSTRING_END:
            depth -= 1
            if depth == 0:
                tokens.append("<str>")
        elif depth == 0 and token.type not in SKIPPED:
            tokens.append("<str>" if token.type == tokenize.STRING else token.string)
    return tokens + [re.sub(r'"[^"]*"', "<str>", line.strip()) for line in shell]


def code_cells(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_both_editions_have_every_notebook():
    for lang in ("en", "zh"):
        missing = [n for n in NAMES if not (NOTEBOOKS / lang / n).exists()]
        assert not missing, f"notebooks/{lang}/ lacks {missing}: every notebook exists in both"
    assert (NOTEBOOKS / "zh" / "README.md").exists() and (NOTEBOOKS / "en" / "README.md").exists()


@pytest.mark.parametrize("name", NAMES)
def test_the_editions_run_the_same_program(name):
    english, chinese = (code_cells(NOTEBOOKS / lang / name) for lang in ("en", "zh"))
    assert len(english) == len(chinese), (
        f"{name}: {len(english)} code cells in en, {len(chinese)} in zh — add or remove the same "
        "cell in both editions")
    for number, (en_cell, zh_cell) in enumerate(zip(english, chinese, strict=True), start=1):
        assert program(en_cell) == program(zh_cell), (
            f"{name}, code cell {number}: the editions differ beyond comments and strings\n"
            f"--- en\n{en_cell}\n--- zh\n{zh_cell}")


@pytest.mark.parametrize("name", NAMES)
def test_the_chinese_edition_is_written_in_chinese(name):
    """Prose, not code: at least 70 % of the words of the zh notebook's markdown are Chinese."""
    notebook = nbformat.read(NOTEBOOKS / "zh" / name, as_version=4)
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown"
                     and "navigation" not in c.metadata.get("tags", []))
    text = re.sub(r"```.*?```|`[^`]*`|<[^>]+>|\([^)]*\)", " ", text, flags=re.S)
    han = len(re.findall(r"[\u4e00-\u9fff]", text))
    latin = len(re.findall(r"[A-Za-z][A-Za-z'-]*", text))
    assert han >= 0.7 * (han + latin), f"{name}: {han} Chinese characters, {latin} Latin words"


def test_navigation_and_contents_are_current():
    stale = navigation.update(check=True)
    assert not stale, f"run `python tools/navigation.py`: {stale}"


def test_the_landing_page_offers_both_editions():
    landing = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    assert "(en/README.md)" in landing and "(zh/README.md)" in landing


def _printed(notebook: nbformat.NotebookNode) -> list[str]:
    """What the code cells showed: streams, text results and HTML (widgets' still pictures)."""
    shown = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            shown.append(output.get("text", ""))
            data = output.get("data", {})
            shown += [data.get("text/plain", ""), data.get("text/html", "")]
            shown += output.get("traceback", []) + [output.get("evalue", "")]
    return [text if isinstance(text, str) else "".join(text) for text in shown]


def _english_pieces() -> dict[str, str]:
    """Every catalog message's English words between its fields, the longer pieces only."""
    from qwen_helpers.catalog import CATALOG

    pieces = {}
    for key, entry in CATALOG.items():
        for piece in re.split(r"\{[^}]*\}", entry["en"]):
            if len(piece.strip()) >= 16 and re.search(r"[a-z]{3,} [a-z]{2,} [a-z]{2,}", piece):
                pieces[piece.strip()] = key
    return pieces


@pytest.mark.parametrize("name", NAMES)
def test_the_chinese_edition_prints_the_helpers_messages_in_chinese(name):
    """Every ✓/✗ line is Chinese, and no catalog message appears in English in a zh output."""
    shown = _printed(nbformat.read(NOTEBOOKS / "zh" / name, as_version=4))
    marks = [line for text in shown for line in text.splitlines()
             if line.lstrip().startswith(("✓", "✗"))]
    english = [line for line in marks if not re.search(r"[\u4e00-\u9fff]", line)]
    assert not english, f"{name}: ✓/✗ lines in English: {english}"
    leaked = sorted({key for piece, key in _english_pieces().items()
                     for text in shown if piece in text})
    assert not leaked, f"{name}: messages shown in English in the Chinese edition: {leaked}"
