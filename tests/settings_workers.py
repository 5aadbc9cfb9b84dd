"""Settings of the worker processes the engine tests start (``db_worker``, ``celery worker``).

The suite's settings plus django-tasks-db and the task backends the workers serve. The
database is ``SIGNALKIT_DATABASE_URL``, which the tests point at a database both they and
their child processes open (an SQLite file, or a throwaway PostgreSQL database).
"""

from __future__ import annotations

import importlib.util
import os

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

if "django_tasks_db" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]
INSTALLED_APPS = [*INSTALLED_APPS, "tests.engines_app"]
HAS_CELERY = importlib.util.find_spec("celery") is not None
if HAS_CELERY:
    INSTALLED_APPS.append("tests.engines_celery_app")

REDIS_URL = os.environ.get("SIGNALKIT_REDIS_URL", "")

TASKS = {
    # db_worker serves "default" unless told otherwise.
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "mail"]},
}
if HAS_CELERY:  # the Celery tests need Redis and Celery
    TASKS["celery"] = {
        "BACKEND": "signalkit.contrib.celery.CeleryBackend",
        "QUEUES": ["default", "mail"],
        "OPTIONS": {"CELERY_APP": "tests.celery_app.app"},
    }
