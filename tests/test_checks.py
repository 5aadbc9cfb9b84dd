from __future__ import annotations

import gc
import re
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.checks import CheckMessage
from django.core.checks import Warning as CheckWarning
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.dispatch import Signal
from django.test import override_settings

from signalkit.checks import check_receivers
from tests.registry_app.models import Timestamped


def on_save(sender: object, **kwargs: Any) -> None:
    pass


def without_kwargs(sender: object) -> None:
    pass


LINE_OF_WITHOUT_KWARGS = without_kwargs.__code__.co_firstlineno


def connect_duplicate(probe: Signal) -> None:
    probe.connect(on_save, sender=User, dispatch_uid="first")
    probe.connect(on_save, sender=User, dispatch_uid="second")


def connect_without_kwargs(probe: Signal) -> None:
    probe.connect(without_kwargs)


def connect_to_abstract_model(probe: Signal) -> None:
    probe.connect(on_save, sender=Timestamped)


def connect_to_swapped_model(probe: Signal) -> None:
    probe.connect(on_save, sender=User)


def connect_and_lose(probe: Signal) -> None:
    probe.connect(lambda sender, **kwargs: None)
    gc.collect()


# W004 needs a swapped user model. auth.User swapped for StaffUser: a model that exists, so
# Django's own auth checks stay quiet.
SWAPPED = {"AUTH_USER_MODEL": "registry_app.StaffUser"}

CASES: list[tuple[str, Callable[[Signal], None], dict[str, str], str]] = [
    ("signalkit.W001", connect_duplicate, {}, "one send calls it 2 times"),
    ("signalkit.W002", connect_without_kwargs, {}, "does not accept **kwargs"),
    ("signalkit.W003", connect_to_abstract_model, {}, "abstract model registry_app.Timestamped"),
    ("signalkit.W004", connect_to_swapped_model, SWAPPED, "swapped for registry_app.StaffUser"),
    ("signalkit.W005", connect_and_lose, {}, "was garbage collected and will never run"),
]
IDS = [case[0] for case in CASES]


def ours(warnings: list[CheckMessage]) -> list[CheckMessage]:
    """The warnings about the probe signal's receivers (each message names its signal)."""
    return [w for w in warnings if "tests.probe" in w.msg]


@pytest.mark.parametrize(("check_id", "connect", "overrides", "text"), CASES, ids=IDS)
def test_each_problem_is_a_warning_with_its_id(
    probe: Signal,
    check_id: str,
    connect: Callable[[Signal], None],
    overrides: dict[str, str],
    text: str,
) -> None:
    connect(probe)

    with override_settings(**overrides):
        [warning] = ours(check_receivers())

    assert isinstance(warning, CheckWarning)
    assert (warning.id, text in warning.msg) == (check_id, True)


# django_db: manage.py check runs the model checks, and a JSONField's (django-tasks-db's
# DBTaskResult) asks SQLite whether it supports JSON, a query, the first time.
@pytest.mark.django_db
@pytest.mark.parametrize(("check_id", "connect", "overrides", "text"), CASES, ids=IDS)
def test_each_problem_fails_manage_py_check_at_warning_level(
    probe: Signal,
    check_id: str,
    connect: Callable[[Signal], None],
    overrides: dict[str, str],
    text: str,
) -> None:
    connect(probe)

    with (
        override_settings(**overrides),
        pytest.raises(SystemCheckError, match=rf"\({re.escape(check_id)}\) .*{re.escape(text)}"),
    ):
        call_command("check", fail_level="WARNING", stdout=StringIO(), stderr=StringIO())


def test_a_receiver_of_the_user_model_is_warned_when_the_user_model_is_swapped() -> None:
    # registry_app's welcome_new_user listens to settings.AUTH_USER_MODEL, resolved at connect.
    with override_settings(**SWAPPED):
        objects = [w.obj for w in check_receivers() if w.id == "signalkit.W004"]

    assert any("tests.registry_app.signals.welcome_new_user" in str(o) for o in objects)


def test_a_warning_names_the_receiver_and_where_it_is_defined(probe: Signal) -> None:
    connect_without_kwargs(probe)

    [warning] = check_receivers()

    assert warning.obj == f"tests.test_checks.without_kwargs ({__file__}:{LINE_OF_WITHOUT_KWARGS})"


def test_the_installed_apps_pass_every_check() -> None:
    assert check_receivers() == []


def test_checking_one_app_reports_only_receivers_defined_in_it(probe: Signal) -> None:
    connect_without_kwargs(probe)  # defined in this test module, which is in no app

    assert check_receivers([apps.get_app_config("catalog_app")]) == []
