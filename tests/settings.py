from __future__ import annotations

import os
from importlib.util import find_spec

import django

from example_project.database import ENV_VAR, database_from_url
from signalkit._compat import TASKS_MODULE

SECRET_KEY = "signalkit-tests-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"

# SQLite in memory unless SIGNALKIT_DATABASE_URL names a PostgreSQL or MariaDB server (the
# demo's URL parser: shared infrastructure, none of the demo's apps are installed).
DATABASES = {"default": database_from_url(os.environ.get(ENV_VAR), ":memory:")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "signalkit",
    "django_tasks_db",
    "tests.catalog_app",
    "tests.registry_app",
    "tests.shop",
]
# signalkit.contrib.debug_toolbar's tests: the toolbar's app must be installed before its
# toolbar module is imported (it has a model), and installing it for some tests only would
# run every app's ready() again. No middleware and no URLs here (its check for the
# middleware is silenced); the browser test adds them.
if find_spec("debug_toolbar") is not None:
    INSTALLED_APPS.append("debug_toolbar")
    SILENCED_SYSTEM_CHECKS = ["debug_toolbar.W001"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

# as_task: the framework's ImmediateBackend (runs a task at enqueue) by default,
# django-tasks-db's database backend on the test database, and a DummyBackend (keeps what is
# enqueued; signalkit.deferred.run_enqueued() runs it).
TASKS = {
    "default": {"BACKEND": f"{TASKS_MODULE}.backends.immediate.ImmediateBackend"},
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "mail"]},
    "dummy": {
        "BACKEND": f"{TASKS_MODULE}.backends.dummy.DummyBackend",
        "QUEUES": ["default", "mail"],
    },
}

ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "/static/"
# Django 6.1 configures mail with MAILERS and deprecates EMAIL_BACKEND; the tests run with
# warnings as errors, so each Django gets the setting it knows.
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
