"""The README stays short and the manual under ``docs/`` keeps every page and reference entry.

Sphinx (``tox -e docs``) checks that the manual builds; these tests check what it cannot:
that each setting, check id and command option of the code has its entry in the one
reference page for it. They read files only. signalkit's source is read from the imported
package (the installed wheel under tox, where ``.ci/stage_tests.py`` copies ``docs/``,
``README.md`` and ``CHANGELOG.md`` beside the tests).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import BaseCommand, get_commands, load_command_class

import signalkit
from signalkit.checks import CHECK_IDS
from signalkit.conf import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README_MAX_LINES = 150
CHECK_ID = re.compile(r"\bsignalkit\.[EW]\d{3}\b")
# A Markdown link target relative to the README, e.g. (docs/stock.md) or (CHANGELOG.md#x).
RELATIVE_LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)#\s]+)")
TOCTREE = re.compile(r"```\{toctree\}\n(.*?)```", re.DOTALL)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def signalkit_sources() -> list[Path]:
    return sorted(Path(signalkit.__file__).parent.rglob("*.py"))


def toctree_entries() -> list[str]:
    entries = []
    for block in TOCTREE.findall(read(DOCS / "index.md")):
        entries += [line.strip() for line in block.splitlines() if line.strip() and ":" not in line]
    return entries


def own_options(name: str) -> set[str]:
    """The options a command adds to the ones every Django command has."""
    command = load_command_class(get_commands()[name], name)
    common = BaseCommand().create_parser("manage.py", name)
    parser = command.create_parser("manage.py", name)
    options = {option for action in parser._actions for option in action.option_strings}
    return options - {option for action in common._actions for option in action.option_strings}


def test_the_readme_has_at_most_150_lines() -> None:
    lines = read(ROOT / "README.md").splitlines()

    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines; move the details into docs/"
    )


def test_the_readme_installs_the_django_signalkit_distribution() -> None:
    readme = read(ROOT / "README.md")

    assert "$ python -m pip install django-signalkit\n" in readme
    assert not re.search(r"^\$ .*pip install signalkit\s*$", readme, re.MULTILINE)


def test_every_relative_link_of_the_readme_names_a_file_that_exists() -> None:
    targets = RELATIVE_LINK.findall(read(ROOT / "README.md"))

    assert targets
    assert [target for target in targets if not (ROOT / target).is_file()] == []


def test_the_index_toctrees_list_exactly_the_pages_under_docs() -> None:
    pages = {
        path.with_suffix("").name
        for path in DOCS.iterdir()
        if path.suffix in {".md", ".rst"} and path.name != "index.md"
    }

    assert sorted(toctree_entries()) == sorted(pages)


def test_the_changelog_page_includes_the_changelog_instead_of_copying_it() -> None:
    page = read(DOCS / "changelog.md")

    assert "```{include} ../CHANGELOG.md" in page
    assert (DOCS / "../CHANGELOG.md").is_file()


@pytest.mark.parametrize(
    "name", sorted(name for name, value in vars(Settings).items() if isinstance(value, property))
)
def test_every_setting_is_in_the_settings_reference(name: str) -> None:
    assert f"`SIGNALKIT_{name}`" in read(DOCS / "settings.md")


def test_every_check_id_of_signalkit_is_in_the_checks_reference() -> None:
    documented = set(CHECK_ID.findall(read(DOCS / "checks.md")))

    assert sorted(set(CHECK_IDS.values()) - documented) == []


def test_the_checks_reference_documents_no_check_id_that_signalkit_does_not_use() -> None:
    documented = set(CHECK_ID.findall(read(DOCS / "checks.md")))

    assert sorted(documented - set(CHECK_IDS.values())) == []


def test_every_check_id_written_in_signalkit_is_in_the_one_table_of_ids() -> None:
    written = {match for path in signalkit_sources() for match in CHECK_ID.findall(read(path))}

    assert written
    assert sorted(written - set(CHECK_IDS.values())) == []


@pytest.mark.parametrize("command", ["listsignals", "backfill_profiles", "requeue_stale_tasks"])
def test_every_option_of_a_command_is_in_the_commands_reference(command: str) -> None:
    reference = read(DOCS / "commands.md")
    section = reference.split(f"## `{command}`", 1)[1].split("\n## ", 1)[0]
    options = own_options(command)

    assert options
    assert sorted(option for option in options if f"`{option}" not in section) == []
