"""Sphinx configuration of the course's static site (``make site``; see site/build.py).

The pages are the committed notebooks with their saved outputs (myst-nb, never executed: nbval
already runs them) and the course's Markdown pages. Everything the build uses is installed from
PyPI; the theme's assets ship inside its package, so the build never fetches anything.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

project = "Qwen API notebooks · 千问 API 实战"
author = "qwen-api-notebooks"
extensions = ["myst_nb", "course_links"]
root_doc = "index"
exclude_patterns = ["**/.ipynb_checkpoints", "_build"]
nb_execution_mode = "off"  # the saved outputs, as nbval checked them
nb_merge_streams = True
# A widget's saved output holds its still picture (text/html) beside the widget view: the site
# has no kernel, so it shows the picture, as a clone does before "Run All".
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # notebooks start at their own H1; some skip a level
html_theme = "sphinx_book_theme"
html_title = "Qwen API notebooks · 千问 API 实战"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_favicon = "_static/favicon.svg"  # else browsers ask the host's root for /favicon.ico
html_copy_source = True  # the download button offers the .ipynb (to upload to ModelScope)
html_show_sourcelink = False
html_context = {"default_mode": "light"}  # without one, the theme logs a console error
html_theme_options = {
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "use_repository_button": False,
}
