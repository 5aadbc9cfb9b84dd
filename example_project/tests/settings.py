"""Settings for the demo shop's tests: the demo's own settings, made fit for a test run.

SQLite in memory unless ``SIGNALKIT_DATABASE_URL`` names another database. On a server the
test database is ``test_<name>_demo``, never the ``test_<name>`` of the library's suite, so
``pytest`` (whose ``tests/test_demo_suite.py`` runs this suite in child processes) and
``pytest example_project/tests`` can share one server, at the same time too.
"""

from __future__ import annotations

import os

import django

from example_project.database import ENV_VAR, database_from_url
from example_project.settings import *  # noqa: F403

_default = database_from_url(os.environ.get(ENV_VAR), ":memory:")
if _default["ENGINE"] != "django.db.backends.sqlite3":
    _default.setdefault("TEST", {})["NAME"] = f"test_{_default['NAME']}_demo"
DATABASES = {"default": _default}

DEBUG = False
# Django 6.1 configures mail with MAILERS and deprecates EMAIL_BACKEND; the tests run with
# warnings as errors, so each Django gets the setting it knows.
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The demo's loggers print to the console and do not propagate; in the tests they propagate
# (caplog reads them) and print nothing of their own.
LOGGING = {"version": 1, "disable_existing_loggers": False}
