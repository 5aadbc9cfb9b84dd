"""Settings for the signalkit demo shop: local development only.

``SIGNALKIT_DATABASE_URL`` switches from the SQLite file next to this module to another
database (see ``example_project.database``); ``DJANGO_DEBUG=0`` turns DEBUG off.
"""

from __future__ import annotations

import os
from pathlib import Path

import django

from example_project.database import ENV_VAR, database_from_url

BASE_DIR = Path(__file__).resolve().parent

# Development only: this key is public. Never deploy these settings.
SECRET_KEY = "django-insecure-signalkit-demo-shop-dev-only"
DEBUG = os.environ.get("DJANGO_DEBUG", "1").strip().lower() not in {"0", "false", "no", "off"}
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "signalkit",
    "django_tasks_db",
    "example_project.users",
    "example_project.products",
    "example_project.orders",
    "example_project.blog",
    "example_project.monitoring",
    "example_project.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(os.environ.get(ENV_VAR), str(BASE_DIR / "db.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The blog's comment e-mail is an as_task receiver. django-tasks-db keeps the tasks in a table
# of this database, so a comment's task is written in the comment's transaction; run the
# worker with `python manage.py db_worker`. (The backend is the same on every Django: on
# 5.2 it runs on the django-tasks backport, on 6.x on django.tasks.)
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

# Mail goes to the console: the blog's comment notifications show up in runserver's output.
# (Django 6.1 replaces EMAIL_BACKEND with MAILERS: each Django gets the setting it knows.)
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "shop@example.com"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "simple": {"format": "{levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "simple"},
    },
    "loggers": {
        # The receivers log here: request timings, failed order_confirmed receivers.
        "example_project": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
