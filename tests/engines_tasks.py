"""Module-level tasks of Django's task framework for the engine tests' worker processes.

Each leaves a trace the test reads: a line appended to a file (the receiver, when it ran,
and where). ``wait_then_record`` first writes its ``started`` file, then waits for the
``release`` file, so a test can kill its worker while it runs.
"""

from __future__ import annotations

import importlib
import json
import os
import time
from pathlib import Path
from typing import Any

import django

# The task framework of this Django: django.tasks (6.x), the django_tasks backport (5.2).
task = importlib.import_module("django.tasks" if django.VERSION >= (6, 0) else "django_tasks").task

RELEASE_TIMEOUT = 300  # seconds a blocked task waits for its release file before failing


def record(path: str, label: str, **extra: Any) -> None:
    """Append one JSON line to ``path``: the label, the time, this process and ``extra``."""
    line = {"label": label, "time": time.time(), "pid": os.getpid(), **extra}
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps(line) + "\n")


@task
def record_run(path: str, label: str) -> None:
    record(path, label)


@task(takes_context=True)
def record_run_with_context(context: Any, path: str, label: str) -> None:
    record(path, label, queue=context.task_result.task.queue_name, attempt=context.attempt)


@task
def wait_then_record(started: str, release: str, path: str, label: str) -> None:
    Path(started).write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + RELEASE_TIMEOUT
    while not Path(release).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{release} was not created within {RELEASE_TIMEOUT} s")
        time.sleep(0.05)
    record(path, label)


def not_a_task(path: str, label: str) -> None:
    """A plain function: a worker must refuse to run it whatever a message says."""
    record(path, label)
