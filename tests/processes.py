"""Run the repository's ``manage.py`` (or a Python snippet) in a child process, as a user does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_python(
    *args: str, url: str | None = None, settings: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -W error::DeprecationWarning *args`` in the repository root.

    The child picks its own settings (``manage.py``: the demo shop's) unless ``settings``
    names a module; ``url`` sets ``SIGNALKIT_DATABASE_URL`` (else the suite's value is kept).
    """
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    if url is not None:
        env["SIGNALKIT_DATABASE_URL"] = url
    if settings is not None:
        env["DJANGO_SETTINGS_MODULE"] = settings
    return subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_manage(
    *args: str, url: str | None = None, settings: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python manage.py *args``, see :func:`run_python`."""
    return run_python("manage.py", *args, url=url, settings=settings)
