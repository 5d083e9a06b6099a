"""requirements.lock: the exact versions everyone installs (make setup, the README's path without
make, Binder), made from the ranges in requirements.txt by ``make lock``. The two must agree, and
the environment the tests run in must be the lock's, so that what CI tests is what learners get.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)"
                 r"(?:\s*;\s*(?P<marker>.+))?$")


def ranges() -> list[Requirement]:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [Requirement(line.split("#")[0].strip()) for line in lines
            if line.split("#")[0].strip()]


def pins() -> list[tuple[str, str, Marker | None]]:
    found = []
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = PIN.match(line.strip())
        assert match, f"not an exact pin: {line!r}"
        marker = Marker(match["marker"]) if match["marker"] else None
        found.append((canonicalize_name(match["name"]), match["version"], marker))
    return found


def test_the_lock_was_made_for_every_platform_from_the_ranges():
    header = (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()[:2]
    assert "uv pip compile requirements.txt --universal --python-version 3.10" in header[1]


def test_every_range_is_pinned_to_a_version_inside_it():
    locked = pins()
    for requirement in ranges():
        versions = [v for name, v, _ in locked if name == canonicalize_name(requirement.name)]
        assert versions, f"{requirement.name} is in requirements.txt but not in the lock"
        outside = [v for v in versions if v not in requirement.specifier]
        assert not outside, f"{requirement.name}: {outside} outside {requirement.specifier}"


def test_this_environment_is_the_lock():
    """Every pin that applies to this interpreter and platform is the version installed here."""
    wrong = []
    for name, version, marker in pins():
        if marker is not None and not marker.evaluate():
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} {version}: not installed")
            continue
        if installed != version:
            wrong.append(f"{name}: {installed} installed, {version} locked")
    assert not wrong, "run `make setup` (it installs the lock): " + "; ".join(wrong)
