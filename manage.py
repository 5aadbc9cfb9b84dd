#!/usr/bin/env python
"""Django's command-line utility for the example project (the signalkit demo shop).

A malformed ``SIGNALKIT_DATABASE_URL`` stops every command while the settings load; it is
printed as one line naming the variable (exit status 1) instead of a traceback through
Django's start-up. Other errors keep their tracebacks; ``--traceback`` shows this one's too.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    from django.core.management import execute_from_command_line

    from example_project.database import DatabaseUrlError

    try:
        execute_from_command_line(sys.argv)
    except DatabaseUrlError as exc:
        if "--traceback" in sys.argv:
            raise
        sys.stderr.write(f"{exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
