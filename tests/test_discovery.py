from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal
from django.test import override_settings

import tests.discovery_apps
from signalkit.conf import conf
from signalkit.discovery import AutodiscoveryError, autodiscover

APPS = "tests.discovery_apps"


@pytest.fixture(autouse=True)
def ping(monkeypatch: pytest.MonkeyPatch) -> Iterator[Signal]:
    """A fresh ``ping`` signal, and the test apps' modules imported anew, for each test."""
    signal = Signal()
    monkeypatch.setattr(tests.discovery_apps, "ping", signal)
    _forget_test_app_modules()
    yield signal
    _forget_test_app_modules()


def _forget_test_app_modules() -> None:
    for name in [name for name in sys.modules if name.startswith(f"{APPS}.")]:
        del sys.modules[name]


@contextmanager
def installed(*app_names: str, **settings: Any) -> Iterator[None]:
    """Run Django's start-up for these apps, with these settings already in force."""
    # override_settings swaps INSTALLED_APPS before the other settings: nest them so
    # SignalkitConfig.ready() already sees the overridden SIGNALKIT_* values.
    with (
        override_settings(**settings),
        override_settings(INSTALLED_APPS=list(app_names)),
    ):
        yield


def answers(ping: Signal) -> list[str]:
    return [response for _receiver, response in ping.send(sender=None)]


def test_installing_signalkit_imports_every_apps_signals_module(ping: Signal) -> None:
    with installed("signalkit", f"{APPS}.with_signals"):
        assert answers(ping) == ["with_signals"]


def test_without_signalkit_no_signals_module_is_imported(ping: Signal) -> None:
    with installed(f"{APPS}.with_signals"):
        assert answers(ping) == []


def test_apps_without_a_signals_module_are_skipped_silently(ping: Signal) -> None:
    with installed("signalkit", f"{APPS}.no_signals", f"{APPS}.with_signals"):
        assert answers(ping) == ["with_signals"]


def test_autodiscover_returns_the_modules_it_imported_in_installed_apps_order() -> None:
    with installed("signalkit", f"{APPS}.with_signals", f"{APPS}.no_signals"):
        assert autodiscover() == [f"{APPS}.with_signals.signals"]


def test_calling_autodiscover_again_connects_nothing_twice(ping: Signal) -> None:
    with installed("signalkit", f"{APPS}.with_signals"):
        autodiscover()
        autodiscover()

        assert answers(ping) == ["with_signals"]


def test_a_broken_signals_module_fails_start_up_naming_the_module() -> None:
    with (
        pytest.raises(AutodiscoveryError) as excinfo,
        installed("signalkit", f"{APPS}.broken_signals"),
    ):
        pass

    assert f"'{APPS}.broken_signals.signals'" in str(excinfo.value)
    assert "RuntimeError: the signals module of broken_signals is broken" in str(excinfo.value)
    assert isinstance(excinfo.value.__cause__, RuntimeError)


def test_an_import_error_inside_a_signals_module_is_not_mistaken_for_a_missing_one() -> None:
    with (
        pytest.raises(AutodiscoveryError) as excinfo,
        installed("signalkit", f"{APPS}.missing_dependency"),
    ):
        pass

    assert f"'{APPS}.missing_dependency.signals'" in str(excinfo.value)
    assert isinstance(excinfo.value.__cause__, ModuleNotFoundError)
    assert excinfo.value.__cause__.name == "signalkit_tests_dependency_that_is_not_installed"


def test_a_syntax_error_in_a_signals_module_names_the_module() -> None:
    with (
        pytest.raises(AutodiscoveryError) as excinfo,
        installed("signalkit", f"{APPS}.syntax_error"),
    ):
        pass

    assert f"'{APPS}.syntax_error.signals'" in str(excinfo.value)
    assert isinstance(excinfo.value.__cause__, SyntaxError)


def test_a_failed_start_up_leaves_the_app_registry_as_it_was() -> None:
    from django.apps import apps

    before = [config.name for config in apps.get_app_configs()]
    with (
        pytest.raises(AutodiscoveryError),
        installed("signalkit", f"{APPS}.broken_signals"),
    ):
        pass

    assert [config.name for config in apps.get_app_configs()] == before


@pytest.mark.parametrize(
    "app_names",
    [
        ["signalkit", f"{APPS}.legacy_ready", f"{APPS}.with_signals"],
        [f"{APPS}.legacy_ready", "signalkit", f"{APPS}.with_signals"],
        [f"{APPS}.legacy_ready", f"{APPS}.with_signals", "signalkit"],
    ],
    ids=["signalkit-first", "signalkit-between", "signalkit-last"],
)
def test_signalkit_works_wherever_it_sits_in_installed_apps(
    ping: Signal, app_names: list[str]
) -> None:
    with installed(*app_names):
        assert sorted(answers(ping)) == ["legacy_ready", "with_signals"]


def test_an_app_that_still_imports_its_signals_in_ready_is_connected_once(
    ping: Signal,
) -> None:
    with installed("signalkit", f"{APPS}.legacy_ready"):
        autodiscover()

        assert answers(ping) == ["legacy_ready"]


def test_the_setting_names_the_submodules_to_import(ping: Signal) -> None:
    with installed("signalkit", f"{APPS}.custom_module", SIGNALKIT_AUTODISCOVER=["receivers"]):
        assert answers(ping) == ["custom_module.receivers"]


def test_several_submodules_are_imported_in_the_order_given(ping: Signal) -> None:
    with installed(
        "signalkit",
        f"{APPS}.custom_module",
        SIGNALKIT_AUTODISCOVER=["receivers", "signals"],
    ):
        assert answers(ping) == ["custom_module.receivers", "custom_module.signals"]


def test_dotted_submodules_are_found_and_apps_without_the_package_skipped(
    ping: Signal,
) -> None:
    with installed(
        "signalkit",
        f"{APPS}.with_signals",
        f"{APPS}.nested_module",
        SIGNALKIT_AUTODISCOVER=["handlers.orders"],
    ):
        assert answers(ping) == ["nested_module.handlers.orders"]


def test_a_plain_module_where_a_package_is_expected_means_no_such_module(ping: Signal) -> None:
    # module_on_the_way/handlers.py raises if imported: looking for handlers.orders must not.
    with installed(
        "signalkit",
        f"{APPS}.module_on_the_way",
        f"{APPS}.nested_module",
        SIGNALKIT_AUTODISCOVER=["handlers.orders"],
    ):
        assert answers(ping) == ["nested_module.handlers.orders"]
        assert f"{APPS}.module_on_the_way.handlers" not in sys.modules


def test_the_readmes_dotted_example_works_with_staticfiles_installed(ping: Signal) -> None:
    # django.contrib.staticfiles.handlers is a module, not a package.
    with installed(
        "signalkit",
        "django.contrib.staticfiles",
        f"{APPS}.nested_module",
        SIGNALKIT_AUTODISCOVER=["handlers.orders"],
    ):
        assert answers(ping) == ["nested_module.handlers.orders"]


def test_a_package_on_the_way_that_raises_is_an_error_naming_the_module() -> None:
    with (
        pytest.raises(AutodiscoveryError) as excinfo,
        installed(
            "signalkit",
            f"{APPS}.raising_package",
            SIGNALKIT_AUTODISCOVER=["handlers.orders"],
        ),
    ):
        pass

    assert f"'{APPS}.raising_package.handlers.orders'" in str(excinfo.value)
    assert "RuntimeError: the handlers package of raising_package is broken" in str(excinfo.value)
    assert isinstance(excinfo.value.__cause__, RuntimeError)


def test_a_package_on_the_way_that_fails_to_import_is_an_error_not_a_skip() -> None:
    with (
        pytest.raises(AutodiscoveryError) as excinfo,
        installed(
            "signalkit",
            f"{APPS}.broken_package",
            SIGNALKIT_AUTODISCOVER=["handlers.orders"],
        ),
    ):
        pass

    assert f"'{APPS}.broken_package.handlers.orders'" in str(excinfo.value)
    assert isinstance(excinfo.value.__cause__, ModuleNotFoundError)


def test_an_empty_setting_turns_autodiscovery_off(ping: Signal) -> None:
    with installed("signalkit", f"{APPS}.with_signals", SIGNALKIT_AUTODISCOVER=[]):
        assert answers(ping) == []


def test_the_default_setting_is_signals() -> None:
    assert conf.AUTODISCOVER == ["signals"]


def test_settings_are_read_on_access() -> None:
    with override_settings(SIGNALKIT_AUTODISCOVER=("receivers",)):
        assert conf.AUTODISCOVER == ["receivers"]


def test_a_bare_string_setting_is_rejected_naming_the_value_and_the_fix() -> None:
    with (
        override_settings(SIGNALKIT_AUTODISCOVER="signals"),
        pytest.raises(
            ImproperlyConfigured,
            match=r"""must be a list of module names such as \["signals"\], not 'signals'""",
        ),
    ):
        conf.AUTODISCOVER  # noqa: B018


@pytest.mark.parametrize("entry", ["", "my signals", "signals.", 3])
def test_an_entry_that_is_not_a_module_name_is_rejected(entry: object) -> None:
    with (
        override_settings(SIGNALKIT_AUTODISCOVER=["signals", entry]),
        pytest.raises(
            ImproperlyConfigured,
            match=f"contains {entry!r}, which is not a module name",
        ),
    ):
        conf.AUTODISCOVER  # noqa: B018


def test_importing_signalkit_imports_neither_models_nor_the_app_registry() -> None:
    code = "import sys, signalkit; print(sorted(m for m in sys.modules if m.startswith('django')))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"


def test_start_up_does_not_load_the_inspector() -> None:
    # Every process pays for what ready() and admin autodiscovery import: the registry and
    # the send gate load when the checks run, a page is viewed or a mute starts.
    code = (
        "import sys, django; django.setup(); "
        "print(sorted(m for m in ('signalkit.registry', 'signalkit.gate') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
    )

    assert result.stdout.strip() == "[]"
