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
    # A task waiting for its eta is held by the worker; unacknowledged messages of a dead
    # worker come back after the visibility timeout (Redis): short for the tests.
    broker_transport_options={"visibility_timeout": 30},
    worker_hijack_root_logger=False,
)
