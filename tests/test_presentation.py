from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.dispatch import Signal

from signalkit import registry
from signalkit.presentation import bound_to, readable_path, safe_repr


def test_a_package_in_a_virtualenv_inside_the_project_reads_as_its_import_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # tox keeps its virtualenvs in the project: .tox/<env>/lib/.../site-packages
    site_packages = tmp_path / ".tox" / "py312" / "lib" / "site-packages"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path), str(site_packages)])

    assert readable_path(str(site_packages / "django" / "db" / "__init__.py")) == (
        "django/db/__init__.py"
    )


def test_a_project_file_reads_relative_to_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path)])

    assert readable_path(str(tmp_path / "shop" / "signals.py")) == "shop/signals.py"


def test_a_file_outside_every_root_keeps_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path / "..")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "elsewhere")])

    assert readable_path("/opt/tools/hooks.py") == "/opt/tools/hooks.py"


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class ReprNotAString:
    def __repr__(self) -> str:
        return 42  # type: ignore[return-value]


def test_safe_repr_of_an_object_whose_repr_raises_names_its_class_and_the_error() -> None:
    value = Unprintable()

    assert safe_repr(value) == (
        f"<unprintable Unprintable object at {id(value):#x}: repr() raised RuntimeError>"
    )


def test_safe_repr_of_a_repr_that_is_not_a_string_reads_unprintable() -> None:
    value = ReprNotAString()

    assert safe_repr(value).endswith(": repr() raised TypeError>")


def test_safe_repr_cuts_a_long_repr_at_the_limit() -> None:
    assert safe_repr("x" * 500, limit=10) == "'xxxxxxxx…"


class Storage:
    def clear(self, sender: object, **kwargs: object) -> None:
        pass

    @classmethod
    def reset(cls, sender: object, **kwargs: object) -> None:
        pass


class FileStorage(Storage):
    pass


def test_bound_to_names_the_class_of_a_bound_methods_object(probe: Signal) -> None:
    probe.connect(FileStorage().clear, weak=False)

    [receiver] = registry.snapshot().filter(signal="tests.probe").receivers

    assert bound_to(receiver) == "self: FileStorage"


def test_bound_to_names_the_class_of_a_class_method(probe: Signal) -> None:
    probe.connect(FileStorage.reset, weak=False)

    [receiver] = registry.snapshot().filter(signal="tests.probe").receivers

    assert bound_to(receiver) == "cls: FileStorage"


def test_bound_to_is_none_for_a_function(probe: Signal) -> None:
    probe.connect(readable_path, weak=False)

    [receiver] = registry.snapshot().filter(signal="tests.probe").receivers

    assert bound_to(receiver) is None
