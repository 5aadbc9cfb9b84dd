"""Generate a synthetic Django project of many small apps, some with a ``signals.py``.

Two ways of loading the signals modules are generated, so that a benchmark can compare
them on otherwise identical projects:

- ``"signalkit"``: ``"signalkit"`` is in ``INSTALLED_APPS`` and imports every app's
  ``signals.py``; the apps' AppConfigs have no ``ready()``.
- ``"ready"``: no signalkit; each app that has a ``signals.py`` imports it in its
  AppConfig's ``ready()``, the classic way.

Every app has a ``models.py`` with one small model, ``Note``. Every ``signals.py``
connects one receiver, ``@receiver(post_save, sender=Note)``, which records its dotted
name and the sender's label in ``bench_project.calls.CALLS`` when called: a probe can send
``post_save`` for each model and see exactly which receivers are connected, and how often.
Example::

    project = generate(tmp / "a", apps=100, with_signals=50, discovery="signalkit")
    project.expected_calls  # ('bench_app_000.signals.note_saved <- bench_app_000.Note', ...)

:func:`generate_receivers` writes the other kind of project, many receivers per app, for
benchmarks of the listing tools (:mod:`benchmarks.listsignals`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Discovery = Literal["signalkit", "ready"]

SETTINGS_MODULE = "bench_project.settings"

# Receivers record "<receiver path> <- <sender label>" here (see CALLS_PY).
CALLS_MODULE = "bench_project.calls"


@dataclass(frozen=True)
class Project:
    """A generated project: where it is and what its receivers should do."""

    root: Path
    discovery: Discovery
    apps: tuple[str, ...]
    signal_apps: tuple[str, ...]
    pycache_prefix: Path | None = None

    @property
    def expected_calls(self) -> tuple[str, ...]:
        """What ``CALLS`` holds after one ``post_save`` per model: each receiver once."""
        return tuple(f"{app}.signals.note_saved <- {app}.Note" for app in self.signal_apps)

    def env(self) -> dict[str, str]:
        """The environment for a process run in the project (``cwd=self.root``).

        ``DJANGO_SETTINGS_MODULE`` is set explicitly: one inherited from the caller (e.g.
        pytest-django's) would win over ``manage.py``'s ``setdefault``. Without
        ``PYTHONSAFEPATH`` the project directory (the script's, or the cwd for ``-c``) is
        on ``sys.path``. With a ``pycache_prefix``, every module's bytecode (Django's and
        signalkit's too) is written to and read from there, whatever
        ``PYTHONDONTWRITEBYTECODE`` says and whether or not a package shipped its own.
        """
        return _process_env(self.pycache_prefix)


def generate(
    root: Path,
    *,
    apps: int,
    with_signals: int,
    discovery: Discovery,
    pycache_prefix: Path | None = None,
) -> Project:
    """Write a project of ``apps`` apps, ``with_signals`` of them with a signals.py.

    ``pycache_prefix``: see :meth:`Project.env`.
    """
    if not 0 <= with_signals <= apps:
        raise ValueError(f"with_signals must be between 0 and apps ({apps}), not {with_signals}")
    names = tuple(f"bench_app_{i:03d}" for i in range(apps))
    # Spread the apps with signals evenly (every other one for 50 of 100).
    signal_indexes = {k * apps // with_signals for k in range(with_signals)}
    signal_apps = tuple(name for i, name in enumerate(names) if i in signal_indexes)

    package = root / "bench_project"
    _write(root / "manage.py", MANAGE_PY)
    _write(package / "__init__.py", "")
    _write(package / "calls.py", CALLS_PY)
    _write(package / "urls.py", URLS_PY)
    installed = [*CONTRIB_APPS, *(["signalkit"] if discovery == "signalkit" else [])]
    installed += names
    apps_lines = "".join(f'    "{name}",\n' for name in installed)
    _write(package / "settings.py", SETTINGS_PY.format(installed_apps=apps_lines))

    for name in names:
        has_signals = name in signal_apps
        app = root / name
        _write(app / "__init__.py", "")
        ready = READY_METHOD if has_signals and discovery == "ready" else ""
        class_name = "".join(part.title() for part in name.split("_")) + "Config"
        _write(
            app / "apps.py",
            APPS_PY.format(class_name=class_name, name=name, ready=ready),
        )
        _write(app / "models.py", MODELS_PY)
        if has_signals:
            _write(app / "signals.py", SIGNALS_PY)
    return Project(
        root=root,
        discovery=discovery,
        apps=names,
        signal_apps=signal_apps,
        pycache_prefix=pycache_prefix,
    )


def _process_env(pycache_prefix: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONSAFEPATH", None)
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    if pycache_prefix is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache_prefix)
    return env


@dataclass(frozen=True)
class ReceiversProject:
    """A generated project with many model-signal receivers (see :func:`generate_receivers`).

    ``receivers``: the dotted path of every generated receiver, each connected once.
    """

    root: Path
    apps: tuple[str, ...]
    receivers: tuple[str, ...]
    pycache_prefix: Path | None = None

    def env(self) -> dict[str, str]:
        """The environment for a process run in the project: see :meth:`Project.env`."""
        return _process_env(self.pycache_prefix)


def generate_receivers(
    root: Path,
    *,
    apps: int,
    receivers_per_app: int,
    extra_apps: tuple[str, ...] = (),
    pycache_prefix: Path | None = None,
) -> ReceiversProject:
    """Write a project of ``apps`` apps, each connecting ``receivers_per_app`` receivers.

    Every app has the ``Note`` model and a ``signals.py`` of module-level functions
    ``bench_receiver_NNN`` connected with ``@receiver(<model signal>, sender=Note)``, the
    signal cycling through pre_save, post_save, pre_delete and post_delete. ``"signalkit"``
    is installed and its autodiscovery imports the signals modules (the AppConfigs have no
    ``ready()``); ``extra_apps`` (e.g. ``("django_extensions",)``) are installed after it.
    Example::

        project = generate_receivers(tmp, apps=50, receivers_per_app=100)
        project.receivers[0]  # 'bench_app_000.signals.bench_receiver_000'
    """
    if apps < 1 or receivers_per_app < 1:
        raise ValueError(
            f"apps and receivers_per_app must be at least 1, not {apps} and {receivers_per_app}"
        )
    names = tuple(f"bench_app_{i:03d}" for i in range(apps))
    package = root / "bench_project"
    _write(root / "manage.py", MANAGE_PY)
    _write(package / "__init__.py", "")
    _write(package / "urls.py", URLS_PY)
    installed = [*CONTRIB_APPS, "signalkit", *extra_apps, *names]
    apps_lines = "".join(f'    "{name}",\n' for name in installed)
    _write(package / "settings.py", SETTINGS_PY.format(installed_apps=apps_lines))

    receivers: list[str] = []
    for name in names:
        app = root / name
        _write(app / "__init__.py", "")
        class_name = "".join(part.title() for part in name.split("_")) + "Config"
        _write(app / "apps.py", APPS_PY.format(class_name=class_name, name=name, ready=""))
        _write(app / "models.py", MODELS_PY)
        functions = []
        for i in range(receivers_per_app):
            signal = MODEL_SIGNALS[i % len(MODEL_SIGNALS)]
            functions.append(RECEIVER_FUNCTION.format(signal=signal, index=i))
            receivers.append(f"{name}.signals.bench_receiver_{i:03d}")
        _write(app / "signals.py", RECEIVERS_HEADER + "".join(functions))
    return ReceiversProject(
        root=root, apps=names, receivers=tuple(receivers), pycache_prefix=pycache_prefix
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# A typical project's contrib apps, so the fixed cost around discovery is realistic.
CONTRIB_APPS: tuple[str, ...] = (
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
)

MANAGE_PY = """\
#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
"""

SETTINGS_PY = """\
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "signalkit-benchmark-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["localhost"]

INSTALLED_APPS = [
{installed_apps}]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "bench_project.urls"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        }},
    }},
]

DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }}
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
STATIC_URL = "static/"
"""

URLS_PY = """\
from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
"""

CALLS_PY = """\
CALLS = []


def record(receiver, sender):
    CALLS.append(f"{receiver} <- {sender._meta.label}")
"""

APPS_PY = """\
from django.apps import AppConfig


class {class_name}(AppConfig):
    name = "{name}"
{ready}"""

READY_METHOD = """
    def ready(self):
        from . import signals  # noqa: F401
"""

MODELS_PY = """\
from django.db import models


class Note(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title
"""

SIGNALS_PY = """\
import logging

from django.db.models.signals import post_save
from django.dispatch import receiver

from bench_project.calls import record

from .models import Note

logger = logging.getLogger(__name__)


@receiver(post_save, sender=Note)
def note_saved(sender, instance, created, **kwargs):
    record(f"{__name__}.note_saved", sender)
    if created:
        logger.info("note %s created", instance.pk)
"""

MODEL_SIGNALS = ("pre_save", "post_save", "pre_delete", "post_delete")

RECEIVERS_HEADER = """\
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from .models import Note
"""

RECEIVER_FUNCTION = """

@receiver({signal}, sender=Note)
def bench_receiver_{index:03d}(sender, instance, **kwargs):
    if instance.pk is None:
        return None
    return instance.title
"""
