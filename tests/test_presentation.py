from __future__ import annotations

import sys
from pathlib import Path

import pytest

from signalkit.presentation import readable_path


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
