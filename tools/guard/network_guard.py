"""Refuse and record every network connection that leaves this machine: loopback only.

The test run installs it in the pytest process (the root ``conftest.py``) and, through the
``sitecustomize.py`` next to this file, in every Python process started from it: nbval's
kernels, the ``examples/`` scripts, ``python -m qwen_helpers.mock``. It is active only when the
environment variable :data:`LOG_VARIABLE` names a file; each refused attempt is appended to that
file as one JSON line (pid, program, address, caller), and the test session fails if the file
has any line.

Allowed: IPv4 ``127.0.0.0/8``, IPv6 ``::1`` (and ``::ffff:127.x``), the any-address
(``0.0.0.0``, ``::``: a server binding all interfaces, or "this host"), Unix sockets and any
other non-IP family, and name lookups of ``localhost``. Refused: everything else, including a lookup
of any other name (a DNS query is traffic too). Jupyter's kernels talk over ZeroMQ on
``127.0.0.1`` from C code, which this guard neither sees nor needs to.

Standard library only: it runs before anything else in a fresh interpreter.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys
import time
import traceback
from typing import Any

LOG_VARIABLE = "QWEN_NETWORK_GUARD_LOG"
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_original: dict[str, Any] = {}


class NetworkBlocked(ConnectionRefusedError):
    """A connection outside loopback, refused by the test run's network guard."""


class LookupBlocked(socket.gaierror):
    """A name lookup of a host other than localhost, refused by the network guard."""


def is_loopback_host(host: object) -> bool:
    """True for ``localhost``, ``127.x.y.z``, ``::1``, and no or any-address host (a bind)."""
    if host is None or host in ("", b""):
        return True
    text = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
    text = text.strip("[]").split("%", 1)[0].lower()
    if text in LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback or address.is_unspecified


def allowed(family: int, address: object) -> bool:
    """Whether a socket of ``family`` may connect or send to ``address``."""
    if family not in (socket.AF_INET, socket.AF_INET6):
        return True  # AF_UNIX, netlink …: never leave the machine
    host = address[0] if isinstance(address, tuple) and address else address
    return is_loopback_host(host)


def record(action: str, target: object) -> None:
    """Append one JSON line about a refused attempt to the guard's log (line-atomic)."""
    path = os.environ.get(LOG_VARIABLE)
    if not path:
        return
    caller = next((f"{frame.filename}:{frame.lineno}" for frame in
                   reversed(traceback.extract_stack(limit=12)[:-3])
                   if "network_guard" not in frame.filename), "?")
    line = json.dumps({"time": round(time.time(), 3), "pid": os.getpid(),
                       "program": " ".join(sys.argv[:2])[:200], "action": action,
                       "target": repr(target)[:200], "caller": caller}) + "\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line.encode("utf-8"))
    finally:
        os.close(descriptor)


def _refuse(action: str, target: object) -> NetworkBlocked:
    record(action, target)
    return NetworkBlocked(f"network guard: {action} to {target!r} refused; tests may only use "
                          "loopback (127.0.0.1, ::1). Point the client at the local mock.")


def _connect(self: socket.socket, address: Any) -> None:
    if not allowed(self.family, address):
        raise _refuse("connect", address)
    return _original["connect"](self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    if not allowed(self.family, address):
        raise _refuse("connect_ex", address)
    return _original["connect_ex"](self, address)


def _sendto(self: socket.socket, data: Any, *args: Any) -> int:
    address = args[-1] if args else None
    if address is not None and not allowed(self.family, address):
        raise _refuse("sendto", address)
    return _original["sendto"](self, data, *args)


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> list:
    if not is_loopback_host(host):
        record("getaddrinfo", host)
        raise LookupBlocked(socket.EAI_NONAME, f"network guard: lookup of {host!r} refused; "
                            "tests may only use loopback (127.0.0.1, ::1, localhost)")
    return _original["getaddrinfo"](host, *args, **kwargs)


def _create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
    host = address[0] if isinstance(address, tuple) and address else address
    if not is_loopback_host(host):
        raise _refuse("create_connection", address)
    return _original["create_connection"](address, *args, **kwargs)


def install() -> bool:
    """Patch ``socket`` in this process (once); True when the guard is active afterwards."""
    if _original:
        return True
    _original.update(connect=socket.socket.connect, connect_ex=socket.socket.connect_ex,
                     sendto=socket.socket.sendto, getaddrinfo=socket.getaddrinfo,
                     create_connection=socket.create_connection)
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = _sendto  # type: ignore[method-assign]
    socket.getaddrinfo = _getaddrinfo
    socket.create_connection = _create_connection
    return True


def installed() -> bool:
    """Whether this process's ``socket`` module is patched."""
    return socket.socket.connect is _connect


def install_from_environment() -> bool:
    """Install when :data:`LOG_VARIABLE` is set (the test run sets it); else do nothing."""
    return install() if os.environ.get(LOG_VARIABLE) else False


def attempts(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The refused attempts recorded in ``path`` (empty when the file does not exist)."""
    try:
        with open(path, encoding="utf-8") as file:
            return [json.loads(line) for line in file if line.strip()]
    except FileNotFoundError:
        return []
