"""The Celery app of the engine tests' workers: ``celery -A tests.celery_app worker``.

The broker is ``SIGNALKIT_REDIS_URL``. Celery sets Django up in the worker (its Django
fix-up, from ``DJANGO_SETTINGS_MODULE``: the tests start workers with
``tests.settings_workers``). Importing ``signalkit.contrib.celery`` registers the one
Celery task that runs Django's tasks, as a project's Celery app module does.
"""

from __future__ import annotations

import os

from celery import Celery

import signalkit.contrib.celery  # noqa: F401  registers signalkit.run_django_task

app = Celery("signalkit_tests")
app.conf.update(
    broker_url=os.environ.get("SIGNALKIT_REDIS_URL", "redis://127.0.0.1:6379/14"),
    broker_connection_retry_on_startup=True,
    task_default_queue="default",
    # Redis hands the unacknowledged message of a dead worker to another worker after the
    # visibility timeout; a task waiting for its eta is unacknowledged too (it would run
    # twice past the timeout). The test that kills a worker sets a short one.
    broker_transport_options={
        "visibility_timeout": float(os.environ.get("SIGNALKIT_TESTS_VISIBILITY_TIMEOUT", "60")),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    },
    worker_hijack_root_logger=False,
)
