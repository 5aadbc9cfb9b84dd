"""Sphinx configuration of the signalkit manual (``sphinx-build -W -b html docs docs/_build``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# autodoc imports signalkit's modules; the mixins define abstract models, which need the app
# registry: the example shop's settings provide one (SQLite, nothing is connected to).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
django.setup()

import signalkit  # noqa: E402

project = "signalkit"
author = "The signalkit developers"
copyright = "The signalkit developers"
release = signalkit.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True}
# Overrides of Django methods without a docstring of their own stay out: the class docstring
# says what they change, and Django's text would describe the method signalkit replaced.
autodoc_inherit_docstrings = False

html_theme = "furo"
html_title = f"signalkit {release}"
