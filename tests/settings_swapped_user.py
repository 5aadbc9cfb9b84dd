"""Settings for the swapped-user-model profile tests (``tests/profiles_swapped_app``).

``tests/test_profiles_swapped.py`` runs ``tests/profiles_swapped_app/suite.py`` with these
settings in a pytest subprocess: a custom ``AUTH_USER_MODEL`` can only be set before Django
starts. Two databases, to test ``using``: ``default`` follows ``SIGNALKIT_DATABASE_URL``
(with a test database name of its own, so it never meets the main suite's), ``other`` is
SQLite in memory.
"""

from __future__ import annotations

import os

from example_project.database import ENV_VAR, database_from_url

SECRET_KEY = "signalkit-tests-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"

_default = database_from_url(os.environ.get(ENV_VAR), ":memory:")
if _default["ENGINE"] != "django.db.backends.sqlite3":
    _default.setdefault("TEST", {})["NAME"] = f"test_{_default['NAME']}_swapped_user"
DATABASES = {
    "default": _default,
    "other": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "signalkit",
    "tests.profiles_swapped_app",
]
AUTH_USER_MODEL = "profiles_swapped_app.Member"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
