"""``make room LEARNERS=N``: a real JupyterHub on this machine, N learners, all at once.

    python tools/room.py --learners 8

It installs what the hub needs when missing (``tools/room/requirements.txt`` with uv or pip, and
configurable-http-proxy from npm into ``build/room/``), starts JupyterHub with
``tools/room/jupyterhub_config.py`` on 127.0.0.1, creates N learners, starts each one's server
(each with its own copy of the course), then runs notebooks 00 and 03 in every learner's own
kernel — first one learner alone, then all N at the same time, each against its own in-kernel
mock — and stops everything it started. One line per learner, then::

    room: N learners, P passed, p50 X s, p95 Y s (solo Z s); kernel memory per learner M MB

Exit 0 when every learner passed. Bad set-up (npm missing, a port taken, the hub not starting)
ends with one clear line, never a hang: every wait has a limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import nbformat
import psutil

ROOT = Path(__file__).resolve().parent.parent
ROOM = ROOT / "tools" / "room"
STATE = ROOT / "build" / "room"
PROXY_VERSION = "5.3.0"
NOTEBOOKS = ("notebooks/en/00_start_here.ipynb", "notebooks/en/03_retry_decision_tree.ipynb")


class RoomError(Exception):
    """A set-up problem, said in one line."""


# -- set-up ----------------------------------------------------------------------------------------

def ensure_hub() -> None:
    """JupyterHub in this environment (uv when it is there, else pip)."""
    try:
        import jupyterhub  # noqa: F401
        return
    except ImportError:
        pass
    uv = Path(sys.executable).with_name("uv")
    command = ([str(uv), "pip", "install", "--quiet", "--python", sys.executable]
               if uv.exists() else [sys.executable, "-m", "pip", "install", "--quiet"])
    done = subprocess.run([*command, "-r", str(ROOM / "requirements.txt")], timeout=600)
    if done.returncode:
        raise RoomError("could not install JupyterHub (tools/room/requirements.txt)")


def ensure_proxy() -> Path:
    """configurable-http-proxy from npm, in build/room/node."""
    proxy = STATE / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    if proxy.exists():
        return proxy
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise RoomError("make room needs Node.js and npm for JupyterHub's proxy "
                        "(Debian: apt-get install nodejs npm)")
    done = subprocess.run(["npm", "install", "--prefix", str(STATE / "node"), "--no-audit",
                           "--no-fund", "--silent", f"configurable-http-proxy@{PROXY_VERSION}"],
                          timeout=300)
    if done.returncode or not proxy.exists():
        raise RoomError("npm could not install configurable-http-proxy")
    return proxy


def free_port(wanted: int = 0) -> int:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", wanted))
        except OSError:
            raise RoomError(f"port {wanted} is taken: choose another with ROOM_PORT=…") from None
        return probe.getsockname()[1]


@dataclass
class Hub:
    url: str
    token: str
    process: subprocess.Popen
    log: Path

    def tail(self, lines: int = 15) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


def start_hub(port: int, proxy: Path) -> Hub:
    STATE.mkdir(parents=True, exist_ok=True)
    (STATE / "jupyterhub.sqlite").unlink(missing_ok=True)  # a new room: no users, no homes
    shutil.rmtree(STATE / "home", ignore_errors=True)
    token = secrets.token_hex(24)
    env = {**os.environ, "QWEN_ROOM_COURSE": str(ROOT), "QWEN_ROOM_STATE": str(STATE),
           "QWEN_ROOM_PORT": str(port), "QWEN_ROOM_HUB_PORT": str(free_port()),
           "QWEN_ROOM_PROXY_API_PORT": str(free_port()), "QWEN_ROOM_PROXY": str(proxy),
           "QWEN_ROOM_PASSWORD": secrets.token_urlsafe(12), "QWEN_ROOM_TOKEN": token,
           "QWEN_MODE": "mock", "QWEN_TIME_SCALE": os.environ.get("QWEN_TIME_SCALE", "0.05"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for name in ("DASHSCOPE_API_KEY", "OPENAI_API_KEY"):
        env.pop(name, None)  # the room runs offline; no key reaches a learner's server
    log = STATE / "hub.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(ROOM / "jupyterhub_config.py")],
        cwd=STATE, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True)
    return Hub(f"http://127.0.0.1:{port}", token, process, log)


def stop(hub: Hub) -> None:
    """The hub, its proxy and every learner's server and kernel."""
    if hub.process.poll() is None:
        hub.process.send_signal(signal.SIGTERM)  # the hub stops the servers it started
        try:
            hub.process.wait(30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(hub.process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# -- driving the room -----------------------------------------------------------------------------

@dataclass
class Learner:
    name: str
    times: dict[str, float] = field(default_factory=dict)
    problem: str | None = None

    @property
    def total(self) -> float:
        return sum(self.times.values())


class Room:
    def __init__(self, hub: Hub, session: aiohttp.ClientSession) -> None:
        self.hub, self.http = hub, session
        self.headers = {"Authorization": f"token {hub.token}"}

    async def api(self, method: str, path: str, **kwargs) -> object:
        async with self.http.request(method, f"{self.hub.url}/hub/api{path}",
                                     headers=self.headers, **kwargs) as response:
            if response.status >= 400:
                raise RoomError(f"{method} {path}: {response.status} {await response.text()}")
            text = await response.text()
            return json.loads(text) if text else None

    async def wait_for_hub(self, limit: float = 60) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.hub.process.poll() is not None:
                raise RoomError(f"JupyterHub stopped at start:\n{self.hub.tail()}")
            try:
                await self.api("GET", "/")
                return
            except (aiohttp.ClientError, RoomError):
                await asyncio.sleep(0.5)
        raise RoomError(f"JupyterHub did not answer within {limit:.0f} s:\n{self.hub.tail()}")

    async def start_server(self, name: str, limit: float = 240) -> None:
        await self.api("POST", f"/users/{name}/server")
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            user = await self.api("GET", f"/users/{name}")
            server = (user.get("servers") or {}).get("", {})
            if server.get("ready"):
                return
            await asyncio.sleep(1)
        raise RoomError(f"{name}'s server did not start within {limit:.0f} s:\n{self.hub.tail()}")

    async def run_notebook(self, name: str, path: str, limit: float = 600) -> float:
        """Run every code cell of ``path`` in a new kernel of the learner's own server."""
        base = f"{self.hub.url}/user/{name}/api"
        began = time.perf_counter()
        async with self.http.post(f"{base}/sessions", headers=self.headers, json={
                "path": path, "type": "notebook", "name": Path(path).name,
                "kernel": {"name": "python3"}}) as response:
            if response.status >= 400:
                raise RoomError(f"{name}: no kernel for {path}: {response.status}")
            session = await response.json()
        kernel = session["kernel"]["id"]
        try:
            cells = [c.source for c in nbformat.read(ROOT / path, as_version=4).cells
                     if c.cell_type == "code"]
            socket_url = f"{base}/kernels/{kernel}/channels".replace("http", "ws", 1)
            async with self.http.ws_connect(socket_url, headers=self.headers,
                                            max_msg_size=0) as channel:
                for number, code in enumerate(cells, 1):
                    await asyncio.wait_for(self._execute(channel, code, name, path, number),
                                           limit)
        finally:
            async with self.http.delete(f"{base}/sessions/{session['id']}",
                                        headers=self.headers):
                pass
        return time.perf_counter() - began

    @staticmethod
    async def _execute(channel, code: str, name: str, path: str, number: int) -> None:
        msg_id = uuid.uuid4().hex
        await channel.send_json({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": name,
                       "session": uuid.uuid4().hex, "version": "5.3",
                       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}})
        error = None
        async for message in channel:
            data = json.loads(message.data)
            if data.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if data["msg_type"] == "error":
                error = f"{data['content']['ename']}: {data['content']['evalue']}"
            if data["msg_type"] == "execute_reply":
                if data["content"]["status"] != "ok":
                    raise RoomError(f"{path} cell {number}: {error or data['content']}")
                return
        raise RoomError(f"{path} cell {number}: the kernel's channel closed")

    async def run_learner(self, learner: Learner) -> Learner:
        try:
            for path in NOTEBOOKS:
                learner.times[Path(path).name[:2]] = await self.run_notebook(learner.name, path)
        except (RoomError, aiohttp.ClientError, asyncio.TimeoutError) as error:
            learner.problem = str(error) or type(error).__name__
        return learner


class KernelMemory:
    """The peak memory of the learners' kernels, sampled while they run: each kernel's unique
    set (USS, memory no other process shares), so libraries shared between kernels count once."""

    def __init__(self) -> None:
        self.peak = 0
        self.task: asyncio.Task | None = None

    async def sample(self) -> None:
        while True:
            total = 0
            for process in psutil.process_iter(["cmdline", "cwd"]):
                try:
                    if ("ipykernel_launcher" in " ".join(process.info["cmdline"] or [])
                            and (process.info["cwd"] or "").startswith(str(STATE / "home"))):
                        total += process.memory_full_info().uss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
            self.peak = max(self.peak, total)
            await asyncio.sleep(0.5)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def hold_room(hub: Hub, learners: int) -> tuple[list[Learner], float, float]:
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=600)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        room = Room(hub, http)
        await room.wait_for_hub()
        names = [f"learner-{n}" for n in range(1, learners + 1)]
        await room.api("POST", "/users", json={"usernames": names})
        await asyncio.gather(*(room.start_server(name) for name in names))
        solo = await room.run_learner(Learner(names[0]))
        if solo.problem:
            raise RoomError(f"one learner alone failed: {solo.problem}")
        memory = KernelMemory()
        memory.task = asyncio.create_task(memory.sample())
        try:
            results = await asyncio.gather(*(room.run_learner(Learner(n)) for n in names))
        finally:
            memory.task.cancel()
        return list(results), solo.total, memory.peak / learners / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=8)
    parser.add_argument("--port", type=int, default=int(os.environ.get("ROOM_PORT") or 0))
    args = parser.parse_args()
    hub = None
    try:
        if args.learners < 1:
            raise RoomError("LEARNERS must be 1 or more")
        ensure_hub()
        proxy = ensure_proxy()
        port = free_port(args.port)
        hub = start_hub(port, proxy)
        print(f"room: JupyterHub on {hub.url} (log: {hub.log.relative_to(ROOT)}), "
              f"{args.learners} learners …", flush=True)
        results, solo, memory = asyncio.run(hold_room(hub, args.learners))
    except RoomError as error:
        print(f"room: {error}", file=sys.stderr)
        return 2
    finally:
        if hub is not None:
            stop(hub)
    for learner in results:
        timing = ", ".join(f"{nb} {s:.1f} s" for nb, s in learner.times.items())
        status = "passed" if learner.problem is None else f"FAILED: {learner.problem}"
        print(f"{learner.name}: {status} ({timing})")
    passed = [r for r in results if r.problem is None]
    totals = [r.total for r in passed] or [float("nan")]
    print(f"room: {len(results)} learners, {len(passed)} passed, "
          f"p50 {statistics.median(totals):.1f} s, p95 {percentile(totals, 0.95):.1f} s "
          f"(solo {solo:.1f} s); kernel memory per learner {memory:.0f} MB")
    return 0 if len(passed) == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
