"""Find API keys where they must never be: notebooks, logs, recordings, caches, reports.

Three rules, each reported with the file, the line (or the notebook cell) and a masked excerpt:

- ``secret:<form>`` — a known secret (your own key, or the test run's fake "canary" key) in any
  form a leak takes: exact, base64 (standard or URL-safe, at any byte alignment, so it is found
  inside a longer base64 blob such as an ``Authorization: Basic`` value), percent-encoded, or
  only its last 12 characters;
- ``dashscope-key`` — anything of the shape of a DashScope key, ``sk-`` (or ``sk-sp-``) and 32 hex;
- ``bearer`` — an ``Authorization: Bearer`` token of 20 or more token characters (RFC 6750's
  alphabet, so ``Bearer {key}`` in source code is not one), except the mock's public teaching keys.

The last two rules skip the files whose job is to hold a key (:data:`KEY_STORES`: ``.env``,
``~/.dashscope/api_key``); a known secret is looked for everywhere.

Before you commit or share a notebook::

    python -m qwen_helpers.secrets_scan                      # the repository's files
    python -m qwen_helpers.secrets_scan notebooks/ --key-from-env DASHSCOPE_API_KEY

``--key-from-env`` reads the key from the environment or ``.env`` and never prints it. The exit
status is 1 when anything is found.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .config import find_dotenv_upward, mask_key
from .messages import say

DASHSCOPE_KEY = re.compile(r"sk-(?:sp-)?[0-9a-f]{32}")
BEARER = re.compile(r"Bearer\s+([A-Za-z0-9._~+/-]{20,}=*)")
_KEY_LIKE = re.compile(r"sk-[A-Za-z0-9_-]{6,}|(?<=Bearer )\S{6,}")
SUFFIX_LENGTH = 12
MAX_FILE_BYTES = 50 * 1024 * 1024
KEY_STORES = frozenset({".env", "api_key"})
"""File names where a key-shaped string is expected: only known secrets are looked for there."""
SKIPPED_FOLDERS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__",
                             ".hypothesis", ".pytest_cache", ".ruff_cache"})
"""Folders a walk of a project skips (an explicitly named folder is always scanned whole)."""


@dataclass(frozen=True)
class Finding:
    """One secret-shaped string in one place; ``excerpt`` shows it masked."""

    path: str
    rule: str
    where: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.path}:{self.where}: {self.rule}: {self.excerpt}"


@dataclass
class ScanReport:
    """What a scan looked at and what it found."""

    files: int = 0
    findings: list[Finding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Files too large to read (over :data:`MAX_FILE_BYTES`) or unreadable."""


def secret_forms(secret: str) -> list[tuple[str, str]]:
    """Every form of ``secret`` the scan looks for, as ``(form name, text)`` pairs."""
    raw = secret.encode("utf-8")
    forms = {("exact", secret), ("suffix", secret[-SUFFIX_LENGTH:])}
    for pad in range(3):  # the characters that depend only on the secret's own bytes
        start, stop = -(-8 * pad // 6), 8 * (pad + len(raw)) // 6
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            forms.add((name, encode(b"\0" * pad + raw).decode("ascii")[start:stop]))
    for case in ("%{:02X}", "%{:02x}"):
        forms.add(("percent", "".join(case.format(b) for b in raw)))
    return sorted(forms)


class Scanner:
    """The rules, compiled once for a set of known secrets and allowed public tokens."""

    def __init__(self, secrets: Iterable[str] = (), allow: Iterable[str] | None = None, *,
                 patterns: bool = True) -> None:
        self.forms = [(name, text) for s in secrets if s for name, text in secret_forms(s)]
        self.patterns = patterns
        """False: look for the known secrets only, not for key-shaped strings in general."""
        if allow is None:
            from .mock.keys import TEACHING_KEYS  # here: the mock imports config, not this

            allow = (*TEACHING_KEYS, "mock-key-unknown")
        self.allow = frozenset(allow)

    def scan_text(self, text: str, path: str, where: str = "", *,
                  patterns: bool | None = None) -> list[Finding]:
        """The findings in one piece of text; ``where`` names the place, else the line."""
        spans: list[tuple[int, int, int, str]] = []  # start, -stop (longest first), rank, rule
        for rank, (name, form) in enumerate(self.forms):
            start = text.find(form)
            while start >= 0:
                spans.append((start, -(start + len(form)), rank, f"secret:{name}"))
                start = text.find(form, start + 1)
        if self.patterns if patterns is None else patterns:
            spans += [(m.start(), -m.end(), len(self.forms), "dashscope-key")
                      for m in DASHSCOPE_KEY.finditer(text)]
            spans += [(m.start(), -m.end(), len(self.forms), "bearer")
                      for m in BEARER.finditer(text) if m.group(1) not in self.allow]
        merged: list[list] = []  # overlapping matches are one finding, named by the first
        for start, negative_stop, _, rule in sorted(spans):
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], -negative_stop)
            else:
                merged.append([start, -negative_stop, rule])
        findings = []
        for index, (start, stop, rule) in enumerate(merged):
            low = merged[index - 1][1] if index else 0
            high = merged[index + 1][0] if index + 1 < len(merged) else len(text)
            excerpt = (_context(text[max(low, start - 30):start])
                       + f"[{mask_key(text[start:stop])}]"
                       + _context(text[stop:min(high, stop + 30)]))
            line = where or f"line {text.count(chr(10), 0, start) + 1}"
            findings.append(Finding(path, rule, line, excerpt))
        return findings

    def scan_file(self, path: Path) -> list[Finding]:
        """The findings in one file; a notebook is read cell by cell, others as bytes."""
        data = path.read_bytes()
        text = data.decode("latin-1")  # byte for byte: a key is ASCII whatever the encoding
        if path.suffix == ".ipynb":
            try:
                notebook = json.loads(data.decode("utf-8"))
            except ValueError:
                pass
            else:
                return [f for where, value in _strings(notebook, "")
                        for f in self.scan_text(value, str(path), where)]
        return self.scan_text(text, str(path), patterns=self.patterns
                              and path.name not in KEY_STORES)

    def scan(self, paths: Iterable[str | os.PathLike[str]],
             exclude: Iterable[str | os.PathLike[str]] = ()) -> ScanReport:
        """Scan files and folders (folders whole, every file in them); skip ``exclude``."""
        report, skip = ScanReport(), {Path(p).resolve() for p in exclude}
        for path in _files(paths):
            if path.resolve() in skip:
                continue
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    report.skipped.append(str(path))
                    continue
                report.findings += self.scan_file(path)
            except OSError:
                report.skipped.append(str(path))
                continue
            report.files += 1
        return report


def project_files(root: str | os.PathLike[str] = ".") -> list[Path]:
    """The files git would commit (tracked, or new and not ignored); a walk without git."""
    root = Path(root)
    try:
        listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached",
                                 "--others", "--exclude-standard"], capture_output=True,
                                check=True, timeout=60).stdout.decode("utf-8").split("\0")
        return [root / name for name in listed if name and (root / name).is_file()]
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return [p for p in _walk(root) if not p.name.startswith(".env") or p.name == ".env.example"]


def _files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    for item in map(Path, paths):
        if item.is_dir():
            yield from (p for p in sorted(item.rglob("*")) if p.is_file() and not p.is_symlink())
        elif item.is_file():
            yield item


def _walk(root: Path) -> Iterator[Path]:
    for folder, folders, files in os.walk(root):
        folders[:] = [f for f in folders if f not in SKIPPED_FOLDERS
                      and not f.endswith(".egg-info")]
        yield from (Path(folder) / name for name in sorted(files))


def _strings(value: object, where: str) -> Iterator[tuple[str, str]]:
    """Every string in a notebook, with where it is; a list of lines is joined first."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        yield where, "".join(value)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            label = f"cell {index}" if where == "cells" else f"{where}[{index}]"
            yield from _strings(item, label)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{where} key", str(key)
            yield from _strings(item, f"{where}.{key}" if where else str(key))


def _context(text: str) -> str:
    """Text around a finding, on one line, with anything key-like in it masked too."""
    text = _KEY_LIKE.sub(lambda m: mask_key(m.group()), text)
    return text.replace("\n", "⏎").replace("\r", "")


def main(argv: list[str] | None = None) -> int:
    """The command line: scan, print findings masked, exit 1 when there is any."""
    parser = argparse.ArgumentParser(prog="python -m qwen_helpers.secrets_scan",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="files or folders (default: the project's files)")
    parser.add_argument("--key-from-env", action="append", default=[], metavar="VARIABLE",
                        help="also look for the value of this variable (environment, then .env)")
    args = parser.parse_args(argv)
    from dotenv import dotenv_values

    dotenv = find_dotenv_upward()
    values = {**(dotenv_values(dotenv) if dotenv else {}), **os.environ}
    given = {name: (values.get(name) or "").strip() for name in args.key_from_env}
    secrets = [value for value in given.values() if value]
    for name in (name for name, value in given.items() if not value):
        print(say("secrets.not_set", name=name), file=sys.stderr)
    report = Scanner(secrets).scan(args.paths or project_files(), exclude=[dotenv or ""])
    for finding in report.findings:
        print(finding)
    print(say("secrets.scanned", files=report.files, findings=len(report.findings))
          + (say("secrets.skipped", count=len(report.skipped)) if report.skipped else ""))
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
