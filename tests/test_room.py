"""make room's bad set-ups end with one clear line, never a hang (tools/room.py). The room itself
(a real JupyterHub, N learners at once) is run by .ci/run with a small room: it is slow."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import room  # noqa: E402  (tools/ is not a package)


def test_a_taken_port_is_named():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(room.RoomError, match=f"port {port} is taken"):
            room.free_port(port)


def test_without_npm_the_proxy_cannot_be_installed_and_says_how(tmp_path, monkeypatch):
    monkeypatch.setattr(room, "STATE", tmp_path)
    monkeypatch.setattr(room.shutil, "which", lambda name: None)
    with pytest.raises(room.RoomError, match="needs Node.js and npm"):
        room.ensure_proxy()


def test_a_bad_room_size_ends_at_once_with_a_message():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "room.py"), "--learners", "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "room: LEARNERS must be 1 or more"


def test_the_room_runs_the_notebooks_it_names():
    for path in room.NOTEBOOKS:
        assert (ROOT / path).is_file(), path
