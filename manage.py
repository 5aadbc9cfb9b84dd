#!/usr/bin/env python
"""Django's command-line utility for the example project (the signalkit demo shop).

A malformed ``SIGNALKIT_DATABASE_URL`` stops every command while the settings load; it is
printed as one line naming the variable (exit status 1) instead of a traceback through
Django's start-up. Other errors keep their tracebacks; ``--traceback`` shows this one's too.
"""

from __future__ import annotations

import os
import sys

DATABASE_URL_MODULE = "example_project.database"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        if "--traceback" in sys.argv or not raised_in(exc, DATABASE_URL_MODULE):
            raise
        sys.stderr.write(f"{exc}\n")
        sys.exit(1)


def raised_in(exc: BaseException, module: str) -> bool:
    """Whether ``exc`` was raised by code of ``module`` (its innermost frame)."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_globals.get("__name__") == module


if __name__ == "__main__":
    main()
