"""JupyterHub for a room of learners, on one machine: the configuration ``make room`` runs and
``docs/workshop.md`` tells an instructor to run.

- every learner logs in with any name and the room's shared password (``DummyAuthenticator``);
- each gets a server of their own, run by this machine's user in a home folder of their own
  (``SimpleLocalProcessSpawner``), holding a copy of the course made at their first start;
- each server runs the course in mock mode with its own in-kernel mock, and opens the contents.

Everything listens on 127.0.0.1 unless ``QWEN_ROOM_IP`` says otherwise (an instructor serving a
room sets the machine's address). The settings come from the environment ``tools/room.py`` sets.
"""

import os
import shutil
import sys
from pathlib import Path

COURSE = Path(os.environ["QWEN_ROOM_COURSE"])
STATE = Path(os.environ["QWEN_ROOM_STATE"])
IP = os.environ.get("QWEN_ROOM_IP", "127.0.0.1")
COPIED = ("notebooks", "diagrams", "docs", "examples", ".env.example", "README.md",
          "README.zh-CN.md")

c = get_config()  # noqa: F821  (JupyterHub defines it when it reads this file)

c.JupyterHub.bind_url = f"http://{IP}:{os.environ['QWEN_ROOM_PORT']}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ["QWEN_ROOM_HUB_PORT"])
c.ConfigurableHTTPProxy.command = [os.environ["QWEN_ROOM_PROXY"]]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['QWEN_ROOM_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ["QWEN_ROOM_PASSWORD"]
c.Authenticator.allow_all = True

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
c.Spawner.args = [f"--LabApp.app_settings_dir={COURSE / 'tools' / 'lab'}"]
if os.getuid() == 0:
    c.Spawner.args.append("--allow-root")
c.Spawner.default_url = "/lab/tree/notebooks/README.md"
c.Spawner.environment = {"QWEN_MODE": os.environ.get("QWEN_MODE", "mock"),
                         "QWEN_TIME_SCALE": os.environ.get("QWEN_TIME_SCALE", "1")}
if os.environ.get("QWEN_FAULTS_FROM"):  # the instructor's mock: its fault panel reaches everyone
    c.Spawner.environment["QWEN_FAULTS_FROM"] = os.environ["QWEN_FAULTS_FROM"]
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180


def copy_course(spawner):
    """The learner's own copy of the course, made once (a restart keeps their work)."""
    home = Path(spawner.home_dir)
    for name in COPIED:
        source, target = COURSE / name, home / name
        if target.exists():
            continue
        home.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        elif source.exists():
            shutil.copy2(source, target)


c.Spawner.pre_spawn_hook = copy_course

# tools/room.py drives the room through the Hub's REST API with this service's token.
c.JupyterHub.services = [{"name": "room", "api_token": os.environ["QWEN_ROOM_TOKEN"]}]
c.JupyterHub.load_roles = [{
    "name": "room", "services": ["room"],
    "scopes": ["admin:users", "admin:servers", "access:servers", "read:users"],
}]
