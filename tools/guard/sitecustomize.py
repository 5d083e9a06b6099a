"""Run at start-up by every Python process whose PYTHONPATH holds this folder (the test run's).

It installs the loopback-only network guard (``network_guard.py``) when the test run asked for
it, then runs the ``sitecustomize`` this file hides, if the interpreter has one.
"""

from __future__ import annotations

import importlib.util
import os
import sys

import network_guard

network_guard.install_from_environment()

_here = os.path.dirname(os.path.abspath(__file__))
for _folder in sys.path:
    if _folder and os.path.abspath(_folder) != _here:
        _candidate = os.path.join(_folder, "sitecustomize.py")
        if os.path.isfile(_candidate):
            _spec = importlib.util.spec_from_file_location("_hidden_sitecustomize", _candidate)
            if _spec and _spec.loader:
                _spec.loader.exec_module(importlib.util.module_from_spec(_spec))
            break
