"""Execute notebooks in place, the way the test suite runs them, and keep their outputs clean.

    python tools/run_notebooks.py notebooks/en/03_retry_decision_tree.ipynb …   # none: all

Each notebook runs in a fresh kernel in its own folder, in mock mode with no key, a home folder
of its own and ``QWEN_TIME_SCALE=0.05`` — the settings under which ``make test`` compares the
committed outputs (nbval). What is saved is only what a reader needs: the outputs, but no
widget state (a reader without a kernel gets each widget's still picture instead) and no
execution timestamps. Run it after changing a notebook or anything its outputs show, then
``python tools/navigation.py`` if titles changed, and commit the result.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
CLEARED = ("DASHSCOPE_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "DASHSCOPE_BASE_URL",
           "DASHSCOPE_HTTP_BASE_URL", "DASHSCOPE_API_KEY_FILE_PATH", "QWEN_MOCK_URL",
           "QWEN_FAULTS_FROM", "QWEN_MODEL", "DASHSCOPE_REGION")


def run(path: Path, timeout: int = 180) -> None:
    """Execute one notebook in place, then strip what must not be committed."""
    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="qwen-run-home-") as home:
        env = {k: v for k, v in os.environ.items() if k not in CLEARED}
        env.update(QWEN_MODE="mock", QWEN_TIME_SCALE="0.05", HOME=home, PYTHONHASHSEED="0")
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
        finally:
            os.environ.clear()
            os.environ.update(saved)
    clean(notebook)
    nbformat.write(notebook, path)


def clean(notebook: nbformat.NotebookNode) -> None:
    """No widget state and no timings; the kernel's metadata as a reader's Jupyter writes it."""
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or sorted(
        p for lang in ("en", "zh") for p in (ROOT / "notebooks" / lang).glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"running {path.relative_to(ROOT)}", flush=True)
        run(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
