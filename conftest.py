"""Run every test and notebook in mock mode, with no key, no home folder of the user's, fast waits.

Set at configuration time, before nbval starts a kernel, so the notebooks' kernels inherit it:
a developer's own ``.env`` or exported key never turns a test run into a live run.
"""

from __future__ import annotations

import os
import tempfile

KEY_VARIABLES = ("DASHSCOPE_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "DASHSCOPE_BASE_URL",
                 "DASHSCOPE_HTTP_BASE_URL", "DASHSCOPE_API_KEY_FILE_PATH")


def pytest_configure(config) -> None:
    for name in KEY_VARIABLES:
        os.environ.pop(name, None)
    os.environ["QWEN_MODE"] = "mock"
    # Backoff demos wait real seconds for a learner; under test the clock runs 20× faster, and
    # the notebooks print the scale they ran at.
    os.environ.setdefault("QWEN_TIME_SCALE", "0.05")
    os.environ["HOME"] = tempfile.mkdtemp(prefix="qwen-test-home-")
