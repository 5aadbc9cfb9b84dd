"""Worker processes for the engine tests: started, watched and always stopped by the tests.

A worker (``db_worker``, ``celery worker``) is a child process with the settings
``tests.settings_workers`` and its database in ``SIGNALKIT_DATABASE_URL``; so is every
other step that must happen in "another process" (migrate, enqueue, read a task's status).
Its output goes to a log file that a failing test prints. Nothing here sleeps to assert:
``wait_for`` polls a condition until it holds or a generous deadline passes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.processes import REPO_ROOT

WORKER_SETTINGS = "tests.settings_workers"
DEADLINE = 120.0  # seconds: generous, a loaded machine must not fail a test
POLL_INTERVAL = 0.05


def child_env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(SIGNALKIT_DATABASE_URL=url, DJANGO_SETTINGS_MODULE=WORKER_SETTINGS, **extra)
    return env


def run_django(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m django ARGS`` with the worker settings on ``url``; fails on exit != 0."""
    result = subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=REPO_ROOT,
        env=child_env(url),
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    assert result.returncode == 0, f"django {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def run_in_django(url: str, code: str) -> Any:
    """Run ``code`` in a child process with Django set up; returns what it assigned to
    ``output`` (JSON)."""
    script = (
        "import json, django\ndjango.setup()\noutput = None\n"
        f"{code}\nprint('OUTPUT=' + json.dumps(output))\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", script],
        cwd=REPO_ROOT,
        env=child_env(url),
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    assert result.returncode == 0, f"child process failed:\n{code}\n{result.stderr}"
    last = [line for line in result.stdout.splitlines() if line.startswith("OUTPUT=")][-1]
    return json.loads(last.removeprefix("OUTPUT="))


def enqueue(url: str, task: str, *args: Any, **using: Any) -> str:
    """Enqueue ``tests.engines_tasks.<task>`` from another process; returns the result id."""
    return str(
        run_in_django(
            url,
            f"from tests.engines_tasks import {task}\n"
            f"output = {task}.using(**{using!r}).enqueue(*{args!r}).id",
        )
    )


def task_status(url: str, result_id: str) -> str:
    """The status of a django-tasks-db task, read by another process."""
    return str(
        run_in_django(
            url,
            "from django_tasks_db.models import DBTaskResult\n"
            f"output = DBTaskResult.objects.get(id={result_id!r}).status",
        )
    )


def wait_for(
    condition: Callable[[], bool], what: str, *, details: Callable[[], str] = lambda: ""
) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after the deadline."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DEADLINE:.0f} s: {what}\n{details()}", False)
        time.sleep(POLL_INTERVAL)


def records(path: Path) -> list[dict[str, Any]]:
    """The lines the tasks of tests.engines_tasks appended to ``path``."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait(self) -> int:
        """Wait for the worker to exit by itself; its exit status."""
        try:
            return self.process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.name} still running after {DEADLINE:.0f} s:\n{self.output()}")

    def kill(self) -> None:
        """``kill -9`` of the worker and every process it started: no chance to clean up."""
        os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=DEADLINE)


@dataclass
class Workers:
    """Starts worker processes; the fixture's teardown kills every one still running."""

    directory: Path
    url: str
    started: list[Worker] = field(default_factory=list)

    def start(self, name: str, *args: str, **env: str) -> Worker:
        log = self.directory / f"{name}-{len(self.started)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, *args],
                cwd=REPO_ROOT,
                env=child_env(self.url, **env),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as a whole
            )
        worker = Worker(name, process, log)
        self.started.append(worker)
        return worker

    def db_worker(self, *options: str) -> Worker:
        return self.start(
            "db_worker",
            "-m",
            "django",
            "db_worker",
            "--interval",
            "0.1",
            "--no-startup-delay",
            "--no-reload",
            "--queue-name",
            "*",
            *options,
        )

    def celery_worker(self, queues: str = "default,mail", pool: str = "solo", **env: str) -> Worker:
        """``celery -A tests.celery_app worker`` on ``queues``, once it says it is ready."""
        worker = self.start(
            "celery",
            "-m",
            "celery",
            "-A",
            "tests.celery_app",
            "worker",
            "--pool",
            pool,
            "--concurrency",
            "1",
            "--queues",
            queues,
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"signalkit-tests-{len(self.started)}@%h",
            **env,
        )
        wait_for(
            lambda: " ready." in worker.output(), "the celery worker is ready", details=self.logs
        )
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            if worker.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):  # exited meanwhile
                    os.killpg(worker.pid, signal.SIGKILL)
                worker.process.wait(timeout=DEADLINE)

    def logs(self) -> str:
        return "\n".join(f"--- {w.name} (pid {w.pid}):\n{w.output()}" for w in self.started)


@pytest.fixture
def workers(tmp_path: Path, worker_database: str) -> Iterator[Workers]:
    started = Workers(tmp_path, worker_database)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def redis_db() -> Iterator[Any]:
    """The Redis database of SIGNALKIT_REDIS_URL (a client), empty before and after the test."""
    import redis

    client = redis.Redis.from_url(os.environ["SIGNALKIT_REDIS_URL"])
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


def postgresql_url(name: str) -> str:
    """The suite's PostgreSQL server (SIGNALKIT_DATABASE_URL) with database ``name``."""
    parts = urlsplit(os.environ["SIGNALKIT_DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def worker_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated database that the test and its child processes share:
    an SQLite file in ``tmp_path``, or a throwaway PostgreSQL database (created and dropped
    here, named after the suite's database and this process)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'workers.sqlite3'}"
        run_django(url, "migrate", "--no-input", "-v", "0")
        yield url
        return
    import psycopg

    server_name = urlsplit(os.environ["SIGNALKIT_DATABASE_URL"]).path.strip("/")
    name = f"{server_name}_workers_{os.getpid()}"
    admin = postgresql_url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = postgresql_url(name)
        run_django(url, "migrate", "--no-input", "-v", "0")
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
