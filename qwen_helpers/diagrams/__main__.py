"""``python -m qwen_helpers.diagrams``: rewrite every source and render every SVG.

``--check`` renders nothing: it lists the diagrams whose source or render is out of date and
exits with status 1 if there are any (no Graphviz needed).
"""

from __future__ import annotations

import argparse
import sys

from .render import ROOT, GraphvizNotFound, render_all, stale


def main(argv: list[str] | None = None) -> int:
    """Render (or with ``--check`` only verify) the diagrams; the exit status."""
    parser = argparse.ArgumentParser(prog="python -m qwen_helpers.diagrams",
                                     description="Write diagrams/src/*.dot and render "
                                                 "diagrams/render/*.svg.")
    parser.add_argument("--check", action="store_true",
                        help="only report diagrams that are out of date (exit status 1)")
    args = parser.parse_args(argv)
    if args.check:
        out_of_date = stale()
        for name in out_of_date:
            print(f"out of date: diagrams/src/{name}.dot or diagrams/render/{name}.svg")
        if out_of_date:
            print("Run `python -m qwen_helpers.diagrams` to refresh them.")
        return 1 if out_of_date else 0
    try:
        written = render_all()
    except GraphvizNotFound as missing:
        print(missing, file=sys.stderr)
        return 1
    for file in written:
        print(f"wrote {file.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
