"""The scripts in examples/: each runs as a program, with no key, against its own local mock."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
SECRETS = ("DASHSCOPE_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "DASHSCOPE_BASE_URL",
           "DASHSCOPE_HTTP_BASE_URL", "DASHSCOPE_API_KEY_FILE_PATH")


def run(script: str, *args: str, stdin: str = "", home: Path,
        **env: str) -> subprocess.CompletedProcess:
    """Run ``examples/<script>`` from the project's root in mock mode; return what it did."""
    environment = {k: v for k, v in os.environ.items() if k not in SECRETS}
    environment.update(QWEN_MODE="mock", HOME=str(home), PYTHONIOENCODING="utf-8", **env)
    return subprocess.run([sys.executable, str(ROOT / "examples" / script), *args], cwd=ROOT,
                          input=stdin, capture_output=True, text=True, encoding="utf-8",
                          env=environment, timeout=120)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "mode=mock" in result.stdout
    return result.stdout


def test_there_are_three_scenarios():
    assert [p.name for p in EXAMPLES] == ["a_simple_qa.py", "b_streaming_chat.py",
                                          "c_errors_and_retries.py"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_script_says_how_to_run_it(path):
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert f"python examples/{path.name}" in docstring
    assert "DASHSCOPE_API_KEY" in docstring  # and how to run it live


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_script_runs_with_no_arguments(path, tmp_path):
    ok(run(path.name, home=tmp_path, QWEN_TIME_SCALE="0.05"))


def test_a_answers_with_the_cheapest_current_model_and_counts_tokens(tmp_path):
    out = ok(run("a_simple_qa.py", "你好", home=tmp_path))
    assert "你好！很高兴见到你" in out  # the recorded qwen-flash answer
    assert re.search(r"model: qwen-flash · tokens: \d+ in \+ \d+ out = \d+", out)
    assert "qwen-turbo" not in out
    assert re.search(r"cost: about CNY \d+\.\d+ · price: qwen-flash: CNY", out)


def test_a_asks_the_question_it_is_given(tmp_path):
    out = ok(run("a_simple_qa.py", "What", "is", "a", "token?", home=tmp_path))
    assert "What is a token?" in out  # the mock's stand-in answer quotes the question


def test_b_answers_once(tmp_path):
    out = ok(run("b_streaming_chat.py", "--once", "你是谁？", home=tmp_path))
    assert "qwen> 我是通义千问" in out
    assert re.search(r"\[\d+ tokens in, \d+ out\]", out)
    assert out.rstrip().endswith("(1 turn(s) in this chat)")


def test_b_keeps_the_history(tmp_path):
    out = ok(run("b_streaming_chat.py", stdin="你是谁？\n再说一遍\n", home=tmp_path))
    prompts = [int(n) for n in re.findall(r"\[(\d+) tokens in", out)]
    assert len(prompts) == 2 and prompts[1] > prompts[0] + 30  # the first turn is resent
    assert "(2 turn(s) in this chat)" in out


def test_c_retries_429_429_then_succeeds(tmp_path):
    out = ok(run("c_errors_and_retries.py", "--time-scale", "0.05", home=tmp_path))
    assert "clock: 20× faster than real (time scale 0.05)" in out
    assert "the mock will answer: 429,429,200" in out
    assert "attempt 1: rate_limit 429 limit_requests → request_rate, wait 1.00 s" in out
    assert "attempt 2: rate_limit 429 limit_requests → request_rate, wait 2.00 s" in out
    assert "attempt 3: ok" in out
    assert "statuses: [429, 429, 200] · waits: [1.0, 2.0] s" in out


def test_c_reads_the_time_scale_from_the_environment(tmp_path):
    out = ok(run("c_errors_and_retries.py", home=tmp_path, QWEN_TIME_SCALE="0.1"))
    assert "clock: 10× faster than real (time scale 0.1)" in out
