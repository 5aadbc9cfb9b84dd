from __future__ import annotations

import sys
from pathlib import Path

import pytest

from signalkit.presentation import readable_path, safe_repr


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
