"""Build the course as a static site in build/site/ (``make site``).

    python site/build.py [--out build/site]

The pages: the landing page (both editions' contents), each edition's notebooks with their
saved outputs (never executed here: nbval runs them), the README guides, the workshop guides and
docs/sources.md. The repository's files they use (diagrams, examples) are copied beside them in
a staging folder, build/site-src/, laid out as in the repository so every relative link still
points where it does in the lab. Links are relative: the site can be served from any folder or
sub-path, or opened from disk. Sphinx with myst-nb, offline (site/conf.py).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import navigation  # noqa: E402  (tools/ is not a package)

COPIED = ("README.md", "README.zh-CN.md", "docs", "notebooks", "diagrams", "examples")
EDITIONS = {"en": ("English", "Start here", "README", "docs/workshop"),
            "zh": ("中文", "从这里开始", "README.zh-CN", "docs/workshop.zh-CN")}


def landing_page() -> str:
    """index.md: a word in each language, and each edition's pages in reading order."""
    lines = ["# Qwen API notebooks · 千问 API 实战", "",
             "Call Qwen through Alibaba Cloud's DashScope API the way it really behaves: "
             "notebooks that run offline against a faithful local mock, or live with a key.", "",
             "用阿里云百炼 DashScope API 调用通义千问，按服务的真实行为来学：Notebook 可在离线的"
             "本地模拟服务上运行，配置 API Key 后即可调用真实服务。", ""]
    for lang, (name, start, _, _) in EDITIONS.items():
        lines.append(f"- **{name}** · [{start}](notebooks/{lang}/README.md)")
    lines.append("")
    for lang, (name, _, guide, workshop) in EDITIONS.items():
        pages = [guide, f"notebooks/{lang}/README"]
        pages += [f"notebooks/{lang}/{p.stem}" for p in navigation.notebooks(lang)]
        pages.append(workshop)
        lines += ["```{toctree}", f":caption: {name}", ":maxdepth: 1", "", *pages, "```", ""]
    lines += ["```{toctree}", ":caption: Sources · 资料来源", ":maxdepth: 1", "",
              "docs/sources", "notebooks/README", "examples/index", "```", ""]
    return "\n".join(lines)


def stage(folder: Path) -> None:
    """The files the pages are made of, laid out as in the repository."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy2(source, folder / name)
    (folder / "index.md").write_text(landing_page(), encoding="utf-8")
    # A link to a folder (GitHub lists it) becomes a page that shows the folder's scripts.
    scripts = sorted((ROOT / "examples").glob("*.py"))
    (folder / "examples" / "index.md").write_text("\n".join(
        ["# examples/", ""] + [f"## {p.name}\n\n```{{literalinclude}} {p.name}\n```\n"
                               for p in scripts]), encoding="utf-8")
    for guide in ("README.md", "README.zh-CN.md"):
        text = (folder / guide).read_text(encoding="utf-8")
        (folder / guide).write_text(text.replace("](examples/)", "](examples/index.md)"),
                                    encoding="utf-8")


def build(out: Path) -> int:
    staging = out.parent / "site-src"
    started = time.perf_counter()
    stage(staging)
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", "-c",
                           str(ROOT / "site"), str(staging), str(out)])
    if done.returncode:
        return done.returncode
    pages = len(list(out.rglob("*.html"))) - len(list((out / "_static").rglob("*.html")))
    print(f"site: {pages} pages in {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}"
          f" ({time.perf_counter() - started:.0f} s); open {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    sys.exit(build(parser.parse_args().out.resolve()))
