"""Running the course without installing it first: a notebook alone, and the Binder files.

A hosted notebook (Colab, ModelScope, Binder) opens one ``.ipynb`` with no ``qwen_helpers``: the
notebook's first code cell installs them from ``QWEN_HELPERS_SOURCE`` (the repository by
default). Here that path runs without the internet: a fresh virtual environment, one notebook
copied alone into an empty folder, the install source pointed at this checkout. The new
environment borrows the project's installed packages read-only through a ``.pth`` line (so pip
needs no index: ``PIP_NO_INDEX``), and that line does not bring ``qwen_helpers`` — an editable
install is importable only through its own ``.pth`` hook, which a borrowed folder does not run.
So the helpers are missing until the first cell installs them, exactly as on a hosted notebook.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN = """
import sys, nbformat
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
nbformat.write(notebook, sys.argv[1])
"""


def fresh_environment(folder: Path) -> Path:
    """A new virtual environment that borrows this one's packages, but not ``qwen_helpers``."""
    # Without pip of its own: the borrowed pip and setuptools (>=77, as pyproject.toml needs) run.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True,
                   timeout=300)
    python = folder / "bin" / "python"
    purelib = subprocess.run([str(python), "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    missing = subprocess.run([str(python), "-c", "import qwen_helpers"], cwd=folder,
                             capture_output=True, env=_environment(folder))
    assert missing.returncode != 0, "the fresh environment must start without qwen_helpers"
    return python


def _environment(home: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("QWEN_", "DASHSCOPE_", "OPENAI_", "VIRTUAL_ENV"))}
    return {**keep, "HOME": str(home), "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}


def _installed(python: Path) -> str:
    done = subprocess.run([str(python), "-c", "import qwen_helpers; print(qwen_helpers.__file__)"],
                          capture_output=True, text=True, cwd="/", env=_environment(Path("/")))
    return done.stdout.strip() if done.returncode == 0 else ""


@pytest.mark.parametrize("notebook", ["notebooks/en/00_start_here.ipynb",
                                      "notebooks/zh/09_tool_calling.ipynb"])
def test_a_notebook_alone_installs_the_helpers_and_runs(tmp_path, notebook):
    python = fresh_environment(tmp_path / "venv")
    alone = tmp_path / "alone"
    alone.mkdir()
    copy = alone / Path(notebook).name
    shutil.copy(ROOT / notebook, copy)
    done = subprocess.run([str(python), "-c", RUN, str(copy)], cwd=alone, capture_output=True,
                          text=True, timeout=600,
                          env=_environment(tmp_path, QWEN_HELPERS_SOURCE=str(ROOT),
                                           QWEN_TIME_SCALE="0.05"))
    assert done.returncode == 0, done.stderr[-3000:]
    installed = _installed(python)
    assert installed.startswith(str(tmp_path / "venv")), installed  # the cell installed them
    cells = [c for c in json.loads(copy.read_text(encoding="utf-8"))["cells"]
             if c["cell_type"] == "code"]
    printed = "".join("".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))
    assert "mode=mock" in printed
    assert not any(o.get("output_type") == "error" for c in cells for o in c.get("outputs", []))
    assert [path for path in alone.iterdir()] == [copy], "the notebook wrote nothing beside it"


def test_the_binder_files_install_the_course_into_a_fresh_environment(tmp_path):
    python = fresh_environment(tmp_path / "venv")
    environment = _environment(tmp_path, PATH=f"{python.parent}{os.pathsep}{os.environ['PATH']}")
    # repo2docker: pip install -r binder/requirements.txt from the repository's root, then postBuild
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r",
                    "binder/requirements.txt"], cwd=ROOT, check=True, env=environment,
                   timeout=600)
    assert _installed(python).startswith(str(ROOT / "qwen_helpers")), "the -e . install"
    subprocess.run(["bash", "binder/postBuild"], cwd=ROOT, check=True, env=environment)
    settings = tmp_path / "venv" / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert settings.read_text() == (ROOT / "tools" / "lab" / "overrides.json").read_text()
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == (
        f"python-{sys.version_info.major}.{sys.version_info.minor}")


def test_setup_without_uv_falls_back_to_pip_with_a_note(tmp_path):
    """tools/install.sh (make setup's install) where uv cannot be had: pip installs the lock."""
    python = fresh_environment(tmp_path / "venv")  # pip borrowed; no uv of its own to run
    done = subprocess.run(["bash", "tools/install.sh", str(tmp_path / "venv")], cwd=ROOT,
                          capture_output=True, text=True, timeout=600,
                          env=_environment(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ("note: uv could not be installed, so pip installs the same "
                                   "versions (slower)")
    assert _installed(python).startswith(str(ROOT / "qwen_helpers")), "the -e . install"
