"""Module-level tasks of Django's task framework for the engine tests' worker processes.

Each leaves a trace the test reads: a line appended to a file (the receiver, when it ran,
and where). ``wait_then_record`` first writes its ``started`` file, then waits for the
``release`` file, so a test can kill its worker while it runs.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from signalkit import _compat

task = _compat.tasks_framework().task  # django.tasks (6.x), the django_tasks backport (5.2)

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
    wait_for_release(started, release)
    record(path, label)


def not_a_task(path: str, label: str) -> None:
    """A plain function: a worker must refuse to run it whatever a message says."""
    record(path, label)


def behave(note: Any, created: bool) -> None:
    """What the test receivers of tests.engines_app and tests.engines_celery_app do with a
    saved note, by its ``behaviour``: ``record`` it; ``fail-once`` (fail the first attempt,
    record the second); ``wait`` (as ``wait_then_record``, on ``<trace>.started`` and
    ``<trace>.release``)."""
    extra = {"note": note.pk, "text": note.text, "created": created}
    if note.behaviour == "fail-once":
        failed = Path(f"{note.trace}.failed")
        if not failed.exists():
            failed.touch()
            record(note.trace, "failed", **extra)
            raise RuntimeError("the first attempt fails")
    if note.behaviour == "wait":
        wait_for_release(f"{note.trace}.started", f"{note.trace}.release")
    record(note.trace, "ran", **extra)


def wait_for_release(started: str, release: str) -> None:
    Path(started).write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + RELEASE_TIMEOUT
    while not Path(release).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{release} was not created within {RELEASE_TIMEOUT} s")
        time.sleep(0.05)
