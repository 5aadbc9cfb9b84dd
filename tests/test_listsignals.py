from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.signals import user_login_failed
from django.core.management import CommandError, call_command
from django.core.signals import request_started, setting_changed
from django.db.models.signals import (
    class_prepared,
    m2m_changed,
    post_delete,
    post_save,
    pre_init,
    pre_save,
)
from django.dispatch import Signal

from signalkit.registry import ReceiverInfo, Registry, snapshot
from tests.catalog_app.models import Tag
from tests.conftest import DEAD_RECEIVER_UID
from tests.processes import REPO_ROOT, run_manage
from tests.registry_app import hostile
from tests.registry_app.signals import order_confirmed

ANSI = "\x1b["
# The receivers of the test apps (tests/catalog_app/signals.py, tests/registry_app/signals.py).
CATALOG = "tests.catalog_app.signals"
STAMP_BOOK = f"{CATALOG}.stamp_book_before_save"  # pre_save, catalog_app.Book
CHECK_BOOK = f"{CATALOG}.check_book_before_save"  # pre_save, catalog_app.Book
FOLLOW_BOOK_TAGS = f"{CATALOG}.follow_book_tags"  # m2m_changed, catalog_app.Book_tags
TAG_SAVED = f"{CATALOG}.note_tag_saved"  # post_save, catalog_app.Tag
TAG_BEFORE_DELETE = f"{CATALOG}.note_tag_before_delete"  # pre_delete, catalog_app.Tag
TAG_DELETED = f"{CATALOG}.note_tag_deleted"  # post_delete, catalog_app.Tag
COUNT_ORDER = f"{CATALOG}.count_confirmed_order"  # order_confirmed, any sender
WELCOME_USER = "tests.registry_app.signals.welcome_new_user"  # post_save, auth.User
ORDER_CONFIRMED = "tests.registry_app.signals.order_confirmed"
TEST_APPS = ("catalog_app", "registry_app")


def run_listsignals(*args: str) -> tuple[str, str, int]:
    """Run the command as ``manage.py`` would: (stdout, stderr, exit status)."""
    stdout, stderr = StringIO(), StringIO()
    try:
        call_command("listsignals", *args, stdout=stdout, stderr=stderr)
    except CommandError as exc:  # manage.py prints it and exits with its returncode
        stderr.write(f"CommandError: {exc}\n")
        return stdout.getvalue(), stderr.getvalue(), exc.returncode
    except SystemExit as exc:
        return stdout.getvalue(), stderr.getvalue(), int(exc.code or 0)
    return stdout.getvalue(), stderr.getvalue(), 0


def receiver_named(path: str) -> ReceiverInfo:
    return next(r for r in snapshot().receivers if r.path == path)


def receiver_lines(stdout: str) -> list[str]:
    """The first line of every listed receiver (indented by two spaces exactly)."""
    return [line for line in stdout.splitlines() if re.match(r"^  \S", line)]


def listed_paths(stdout: str) -> list[str]:
    """The path of every listed receiver, in order (a line is the path, then " [flags]")."""
    return [line.strip().split(" [")[0] for line in receiver_lines(stdout)]


def receivers_of(*signal_paths: str) -> list[str]:
    """The paths of the live receivers of these signals, in the registry's order.

    Other installed apps (and the library's mixins) may connect to Django's model signals
    too: the tests compare the listing with this, and the test apps' part of it by name.
    """
    return [r.path for r in snapshot().receivers if r.signal_path in signal_paths and r.alive]


def of_test_apps(paths: list[str]) -> list[str]:
    return [
        path for path in paths if path.startswith(("tests.catalog_app.", "tests.registry_app."))
    ]


# --- receivers the tests connect to user_login_failed, which the test apps leave alone -----


def plain_receiver(sender: object, **kwargs: Any) -> None:
    pass


async def async_receiver(sender: object, **kwargs: Any) -> None:
    pass


def no_kwargs_receiver(sender: object) -> None:
    pass


class Notifier:
    def __call__(self, sender: object, **kwargs: Any) -> None:
        pass


@pytest.fixture
def connect() -> Iterator[Callable[..., None]]:
    """``connect(receiver, weak=..., dispatch_uid=...)`` to user_login_failed, undone after."""
    connected: list[tuple[Any, str | None]] = []

    def connect_(receiver: Any, *, weak: bool = True, dispatch_uid: str | None = None) -> None:
        user_login_failed.connect(receiver, weak=weak, dispatch_uid=dispatch_uid)
        connected.append((receiver, dispatch_uid))

    yield connect_
    for receiver, dispatch_uid in connected:
        user_login_failed.disconnect(receiver, dispatch_uid=dispatch_uid)


@pytest.fixture
def pending_receiver() -> Iterator[None]:
    """plain_receiver waiting for post_save from "nope.Model", which is never installed."""
    post_save.connect(plain_receiver, sender="nope.Model")
    yield
    apps._pending_operations.pop(("nope", "model"), None)


def listening(sender: object, **kwargs: Any) -> None:
    pass


LISTENING = "tests.test_listsignals.listening"


@pytest.fixture
def connect_for() -> Iterator[Callable[[Signal, object], None]]:
    """``connect_for(signal, sender)``: ``listening`` connected (sender None: any), undone
    after."""
    connected: list[tuple[Signal, object]] = []

    def connect_(signal: Signal, sender: object) -> None:
        signal.connect(listening, sender=sender)
        connected.append((signal, sender))

    yield connect_
    for signal, sender in connected:
        signal.disconnect(listening, sender=sender)


@pytest.fixture
def any_sender(connect_for: Callable[[Signal, object], None]) -> Callable[[Signal], None]:
    """``any_sender(signal)``: ``listening`` connected to ``signal`` for any sender."""
    return lambda signal: connect_for(signal, None)


@pytest.fixture
def duplicate(connect: Callable[..., None]) -> None:
    connect(plain_receiver, dispatch_uid="listsignals-first")
    connect(plain_receiver, dispatch_uid="listsignals-second")


# --- the default listing --------------------------------------------------------------------


def test_every_test_app_receiver_is_listed_by_default() -> None:
    test_apps = [r.path for r in snapshot().receivers if r.app in TEST_APPS]

    stdout, _, code = run_listsignals()

    assert code == 0
    assert len(test_apps) >= 8
    assert set(listed_paths(stdout)) >= set(test_apps)


def test_a_signal_heading_shows_its_dotted_path_and_receiver_count() -> None:
    stdout, _, _ = run_listsignals("--signal", ORDER_CONFIRMED)

    assert stdout.splitlines()[0] == f"{ORDER_CONFIRMED} (1 receiver)"


def test_a_receiver_shows_its_app_sender_and_source_file_and_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO_ROOT)
    stamp = receiver_named(STAMP_BOOK)

    stdout, _, _ = run_listsignals("--signal", "pre_save")

    lines = stdout.splitlines()
    details = lines[lines.index(f"  {stamp.path}") + 1]
    assert details == (
        f"      app catalog_app, sender catalog_app.Book, tests/catalog_app/signals.py:{stamp.line}"
    )


def test_a_receiver_shows_its_file_as_imported_from_any_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    stamp = receiver_named(STAMP_BOOK)

    stdout, _, _ = run_listsignals("--signal", "pre_save")

    assert f", tests/catalog_app/signals.py:{stamp.line}\n" in stdout
    assert stamp.file not in stdout


def test_a_library_receiver_shows_its_file_as_imported_not_its_site_packages_path() -> None:
    [reset] = [r for r in snapshot().receivers if r.path == "django.db.reset_queries"]

    stdout, _, _ = run_listsignals("--signal", "request_started")

    assert reset.file is not None
    assert reset.file.endswith("/django/db/__init__.py")
    assert f"      app -, sender any, django/db/__init__.py:{reset.line}\n" in stdout
    assert reset.file not in stdout


def test_signals_without_receivers_are_left_out() -> None:
    empty = [info.path for info in snapshot().signals if not info.receivers]

    stdout, _, _ = run_listsignals()

    assert empty
    assert not [path for path in empty if f"{path} (" in stdout]


def test_a_signal_named_with_signal_is_listed_even_without_receivers() -> None:
    stdout, _, code = run_listsignals("--signal", "user_login_failed")

    assert code == 0
    assert "django.contrib.auth.signals.user_login_failed (no receivers)" in stdout


def test_the_summary_counts_receivers_signals_pending_and_problems() -> None:
    expected = snapshot().filter(app="catalog_app")

    stdout, _, _ = run_listsignals("--app", "catalog_app")

    assert stdout.splitlines()[-1] == (
        f"{len(expected.receivers)} receivers on {len(expected.signals)} signals, "
        f"0 pending, 0 problems."
    )


def test_listing_connects_imports_and_queries_nothing() -> None:
    """A pure read (and pytest-django fails any test touching the database unasked)."""
    run_listsignals()
    modules = set(sys.modules)
    receivers = [(info.path, len(info.signal.receivers)) for info in snapshot().signals]

    for output in ("text", "json", "vim"):
        run_listsignals("--format", output, "--check")

    assert set(sys.modules) == modules
    assert [(info.path, len(info.signal.receivers)) for info in snapshot().signals] == receivers


# --- filters ----------------------------------------------------------------------------------


def test_app_keeps_only_the_receivers_defined_in_that_app() -> None:
    stdout, _, _ = run_listsignals("--app", "catalog_app")

    listed = [line.strip() for line in receiver_lines(stdout)]
    assert COUNT_ORDER in listed
    assert all(path.startswith("tests.catalog_app.") for path in listed)


def test_app_lists_the_receivers_a_mixin_connected_for_that_apps_model() -> None:
    stdout, _, _ = run_listsignals("--app", "shop", "--sender", "shop.Order")

    assert listed_paths(stdout) == [
        "signalkit.mixins.stock.move_stock_before_save",
        "signalkit.mixins.stock.note_restock_before_delete",
        "signalkit.mixins.stock.restock_after_delete",
    ]
    assert "      app shop, sender shop.Order, signalkit/mixins/stock.py:" in stdout


def test_app_repeated_keeps_the_receivers_of_either_app() -> None:
    stdout, _, _ = run_listsignals("--app", "registry_app", "--app", "catalog_app")

    assert [line.strip() for line in receiver_lines(stdout)] == [
        STAMP_BOOK,
        CHECK_BOOK,
        WELCOME_USER,  # registry_app
        TAG_SAVED,
        TAG_BEFORE_DELETE,
        TAG_DELETED,
        FOLLOW_BOOK_TAGS,
        COUNT_ORDER,
    ]


def test_signal_by_name_keeps_only_that_signal() -> None:
    stdout, _, _ = run_listsignals("--signal", "pre_save")

    listed = listed_paths(stdout)
    assert listed == receivers_of("django.db.models.signals.pre_save")
    assert of_test_apps(listed) == [STAMP_BOOK, CHECK_BOOK]


def test_signal_by_dotted_path_keeps_only_that_signal() -> None:
    stdout, _, _ = run_listsignals("--signal", "django.db.models.signals.post_delete")

    listed = listed_paths(stdout)
    assert listed == receivers_of("django.db.models.signals.post_delete")
    assert of_test_apps(listed) == [TAG_DELETED]


def test_signal_repeated_keeps_either_signal() -> None:
    stdout, _, _ = run_listsignals("--signal", "pre_delete", "--signal", "post_delete")

    listed = listed_paths(stdout)
    assert listed == receivers_of(
        "django.db.models.signals.pre_delete", "django.db.models.signals.post_delete"
    )
    assert of_test_apps(listed) == [TAG_BEFORE_DELETE, TAG_DELETED]


def test_sender_keeps_receivers_of_that_model() -> None:
    stdout, _, _ = run_listsignals("--sender", "catalog_app.Tag")

    listed = [line.strip() for line in receiver_lines(stdout)]
    assert TAG_SAVED in listed
    assert TAG_DELETED in listed
    assert STAMP_BOOK not in listed  # Book
    assert WELCOME_USER not in listed  # auth.User


@pytest.mark.parametrize(
    "signal", [pre_save, post_delete, pre_init], ids=["pre_save", "post_delete", "pre_init"]
)
def test_sender_keeps_any_sender_receivers_of_the_model_signals(
    signal: Signal, any_sender: Callable[[Signal], None]
) -> None:
    any_sender(signal)

    stdout, _, _ = run_listsignals("--sender", "catalog_app.Tag")

    assert LISTENING in listed_paths(stdout)


@pytest.mark.parametrize(
    "signal",
    [request_started, setting_changed, class_prepared],
    ids=["request_started", "setting_changed", "class_prepared"],
)
def test_sender_leaves_out_any_sender_receivers_of_signals_a_model_does_not_send(
    signal: Signal, any_sender: Callable[[Signal], None]
) -> None:
    any_sender(signal)

    stdout, _, _ = run_listsignals("--sender", "catalog_app.Tag")

    listed = listed_paths(stdout)
    assert LISTENING not in listed
    assert "django.db.close_old_connections" not in listed  # request_started, any sender


def test_sender_leaves_out_any_sender_receivers_of_a_custom_signal() -> None:
    stdout, _, _ = run_listsignals("--sender", "catalog_app.Tag")

    assert COUNT_ORDER not in listed_paths(stdout)  # order_confirmed, any sender


def test_sender_keeps_a_custom_signals_receiver_connected_for_that_model(
    connect_for: Callable[[Signal, object], None],
) -> None:
    connect_for(order_confirmed, Tag)

    stdout, _, _ = run_listsignals("--sender", "catalog_app.Tag")

    assert LISTENING in listed_paths(stdout)


def test_sender_keeps_any_sender_m2m_changed_receivers_for_a_through_model_only(
    any_sender: Callable[[Signal], None],
) -> None:
    any_sender(m2m_changed)

    through, _, _ = run_listsignals("--sender", "catalog_app.Book_tags")
    model, _, _ = run_listsignals("--sender", "catalog_app.Book")

    assert LISTENING in listed_paths(through)
    assert FOLLOW_BOOK_TAGS in listed_paths(through)
    assert LISTENING not in listed_paths(model)


def test_sender_repeated_keeps_receivers_of_either_model() -> None:
    stdout, _, _ = run_listsignals("--sender", "auth.User", "--sender", "catalog_app.Book")

    listed = [line.strip() for line in receiver_lines(stdout)]
    assert WELCOME_USER in listed
    assert STAMP_BOOK in listed
    assert TAG_SAVED not in listed


def test_different_filters_must_all_match() -> None:
    stdout, _, _ = run_listsignals(
        "--app", "catalog_app", "--signal", "post_save", "--sender", "catalog_app.Tag"
    )

    assert [line.strip() for line in receiver_lines(stdout)] == [TAG_SAVED]


def test_app_and_sender_together_keep_that_apps_receivers_for_that_model() -> None:
    stdout, _, _ = run_listsignals("--app", "catalog_app", "--sender", "catalog_app.Book")

    assert [line.strip() for line in receiver_lines(stdout)] == [
        STAMP_BOOK,
        CHECK_BOOK,  # not FOLLOW_BOOK_TAGS, whose sender is Book.tags.through
    ]


@pytest.mark.parametrize(
    ("option", "value", "a_valid_choice"),
    [
        ("--app", "nope", "catalog_app"),
        ("--signal", "nope", "post_save"),
        ("--sender", "nope.Model", "catalog_app.Book"),
        ("--sender", "Book", "catalog_app.Book"),
    ],
)
def test_an_unknown_value_fails_naming_it_and_the_valid_choices(
    option: str, value: str, a_valid_choice: str
) -> None:
    stdout, stderr, code = run_listsignals(option, value)

    assert code == 1
    assert repr(value) in stderr
    assert a_valid_choice in stderr
    assert stdout == ""


def test_one_unknown_value_among_valid_ones_fails() -> None:
    _, stderr, code = run_listsignals("--app", "catalog_app", "--app", "nope")

    assert code == 1
    assert "'nope'" in stderr


def test_manage_py_with_an_unknown_app_exits_1_with_a_message_and_no_traceback() -> None:
    result = run_manage("listsignals", "--app", "nope", settings="tests.settings")

    assert result.returncode == 1
    assert "Unknown app label 'nope'" in result.stderr
    assert "Installed app labels: " in result.stderr
    assert "catalog_app" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


# --- json and vim -----------------------------------------------------------------------------


def test_json_has_the_signals_pending_and_problems_keys() -> None:
    stdout, _, code = run_listsignals("--format", "json")

    assert code == 0
    assert set(json.loads(stdout)) == {"signals", "pending", "problems"}


def test_json_is_the_filtered_registrys_to_dict() -> None:
    stdout, _, _ = run_listsignals(
        "--format", "json", "--app", "catalog_app", "--signal", "pre_save"
    )

    assert json.loads(stdout) == snapshot().filter(app="catalog_app", signal="pre_save").to_dict()


def test_json_with_sender_is_the_registry_filtered_by_sender() -> None:
    stdout, _, _ = run_listsignals(
        "--format", "json", "--app", "catalog_app", "--sender", "catalog_app.Tag"
    )

    expected = snapshot().filter(app="catalog_app", sender="catalog_app.Tag").to_dict()
    assert json.loads(stdout) == expected


def test_json_is_indented() -> None:
    stdout, _, _ = run_listsignals("--format", "json", "--app", "registry_app")

    assert stdout.startswith('{\n  "signals": [\n')


def test_vim_prints_one_file_line_signal_receiver_line_per_receiver() -> None:
    stdout, _, code = run_listsignals("--format", "vim")

    lines = stdout.splitlines()
    assert code == 0
    assert len(lines) == len([r for r in snapshot().receivers if r.file and r.alive])
    assert all(re.match(r"^[^:]+:\d+: \S+ \S+$", line) for line in lines)


def test_vim_line_points_at_the_receivers_source_by_its_absolute_path() -> None:
    count = receiver_named(COUNT_ORDER)

    stdout, _, _ = run_listsignals("--format", "vim", "--signal", "order_confirmed")

    assert count.file is not None
    assert Path(count.file).is_absolute()
    assert stdout.splitlines() == [f"{count.file}:{count.line}: {ORDER_CONFIRMED} {COUNT_ORDER}"]


def test_vim_leaves_out_receivers_without_python_source(connect: Callable[..., None]) -> None:
    connect(len, weak=False)

    stdout, _, _ = run_listsignals("--format", "vim", "--signal", "user_login_failed")
    text, _, _ = run_listsignals("--signal", "user_login_failed")

    assert stdout == ""
    assert "  builtins.len (builtin) [strong, no **kwargs]" in text
    assert "no Python source" in text


# --- dead, async and the other flags ----------------------------------------------------------


@pytest.mark.usefixtures("dead_receiver")
def test_dead_receivers_are_hidden_by_default() -> None:
    stdout, _, code = run_listsignals("--signal", "user_login_failed")

    assert code == 0
    assert "(no receivers)" in stdout
    assert "1 dead receiver hidden (--include-dead shows it)" in stdout.splitlines()[-1]


@pytest.mark.usefixtures("dead_receiver")
def test_include_dead_lists_dead_receivers_flagged_dead() -> None:
    stdout, _, _ = run_listsignals("--signal", "user_login_failed", "--include-dead")

    assert f"  <dead weak reference> [uid={DEAD_RECEIVER_UID}, dead]" in stdout


@pytest.mark.usefixtures("dead_receiver")
def test_json_hides_dead_receivers_unless_include_dead() -> None:
    hidden, _, _ = run_listsignals("--format", "json", "--signal", "user_login_failed")
    shown, _, _ = run_listsignals(
        "--format", "json", "--signal", "user_login_failed", "--include-dead"
    )

    assert json.loads(hidden)["signals"][0]["receivers"] == []
    assert [r["alive"] for r in json.loads(shown)["signals"][0]["receivers"]] == [False]


def test_async_only_keeps_only_async_receivers(connect: Callable[..., None]) -> None:
    connect(async_receiver)
    connect(plain_receiver)

    stdout, _, _ = run_listsignals("--async-only")

    assert receiver_lines(stdout) == ["  tests.test_listsignals.async_receiver [async]"]


def test_async_only_json_drops_the_signals_left_without_receivers(
    connect: Callable[..., None],
) -> None:
    connect(async_receiver)

    stdout, _, _ = run_listsignals("--format", "json", "--async-only")

    signals = json.loads(stdout)["signals"]
    assert [info["path"] for info in signals] == ["django.contrib.auth.signals.user_login_failed"]


def test_a_strong_receiver_is_flagged_strong(connect: Callable[..., None]) -> None:
    connect(plain_receiver, weak=False)

    stdout, _, _ = run_listsignals("--signal", "user_login_failed")

    assert "  tests.test_listsignals.plain_receiver [strong]" in stdout


def test_a_dispatch_uid_is_shown(connect: Callable[..., None]) -> None:
    connect(plain_receiver, dispatch_uid="listsignals-uid")

    stdout, _, _ = run_listsignals("--signal", "user_login_failed")

    assert "  tests.test_listsignals.plain_receiver [uid=listsignals-uid]" in stdout


@pytest.mark.usefixtures("duplicate")
def test_each_receiver_of_a_duplicate_is_flagged_duplicate() -> None:
    stdout, _, _ = run_listsignals("--signal", "user_login_failed")

    assert receiver_lines(stdout) == [
        "  tests.test_listsignals.plain_receiver [uid=listsignals-first, DUPLICATE]",
        "  tests.test_listsignals.plain_receiver [uid=listsignals-second, DUPLICATE]",
    ]


def test_a_receiver_without_kwargs_is_flagged(connect: Callable[..., None]) -> None:
    connect(no_kwargs_receiver)

    stdout, _, _ = run_listsignals("--signal", "user_login_failed")

    assert "  tests.test_listsignals.no_kwargs_receiver [no **kwargs]" in stdout


def test_a_partial_is_listed_as_the_function_it_wraps(connect: Callable[..., None]) -> None:
    connect(functools.partial(plain_receiver, extra=1), weak=False)

    stdout, _, _ = run_listsignals("--signal", "user_login_failed")

    assert "  tests.test_listsignals.plain_receiver (partial) [strong]" in stdout


def test_a_callable_instance_is_listed_as_its_class(connect: Callable[..., None]) -> None:
    notifier = Notifier()
    connect(notifier)

    stdout, _, _ = run_listsignals("--signal", "user_login_failed")

    assert "  tests.test_listsignals.Notifier (instance)" in stdout
    assert f"tests/test_listsignals.py:{Notifier.__call__.__code__.co_firstlineno}" in stdout


@pytest.mark.usefixtures("pending_receiver")
def test_pending_receivers_have_their_own_section() -> None:
    stdout, _, _ = run_listsignals()

    pending = stdout[stdout.index("Pending: ") :]
    assert "  tests.test_listsignals.plain_receiver [pending]" in pending
    assert "signal django.db.models.signals.post_save, app -, sender nope.model, " in pending
    assert ", 1 pending, " in stdout.splitlines()[-1]


# --- --check ------------------------------------------------------------------------------------


def checked(registry: Registry) -> str:
    """How the --check summary counts what it looked at."""
    return f"{len(registry.receivers) + len(registry.pending)} receivers"


def test_check_prints_one_no_problems_line_and_exits_0_when_there_is_none() -> None:
    stdout, stderr, code = run_listsignals("--check", "--app", "catalog_app")

    assert code == 0
    assert stdout == ""
    assert stderr == f"No problems found in {checked(snapshot().filter(app='catalog_app'))}.\n"


@pytest.mark.usefixtures("duplicate")
def test_check_prints_only_the_problems_and_a_summary_line_and_exits_1() -> None:
    line = plain_receiver.__code__.co_firstlineno
    selected = snapshot()

    stdout, stderr, code = run_listsignals("--check")

    assert code == 1
    assert stdout == ""
    [problem, summary] = stderr.splitlines()
    assert problem.startswith(
        f"tests/test_listsignals.py:{line}: signalkit.W001 duplicate: tests.test_listsignals."
        f"plain_receiver is connected to django.contrib.auth.signals.user_login_failed 2 times"
    )
    assert summary == f"1 problem found in {checked(selected)}."


@pytest.mark.usefixtures("duplicate")
def test_check_only_looks_at_the_filtered_receivers() -> None:
    _, stderr, code = run_listsignals("--check", "--app", "catalog_app")

    assert code == 0
    assert stderr.startswith("No problems found in ")


@pytest.mark.usefixtures("duplicate")
def test_check_with_json_still_prints_the_json() -> None:
    stdout, stderr, code = run_listsignals("--check", "--format", "json")

    assert code == 1
    assert [p["kind"] for p in json.loads(stdout)["problems"]] == ["duplicate"]
    assert stderr.splitlines()[-1].startswith("1 problem found in ")


@pytest.mark.usefixtures("duplicate")
def test_check_with_vim_still_prints_the_vim_lines() -> None:
    stdout, _, code = run_listsignals("--check", "--format", "vim", "--signal", "user_login_failed")

    assert code == 1
    lines = stdout.splitlines()
    assert len(lines) == 2
    assert all(" django.contrib.auth.signals.user_login_failed " in line for line in lines)


@pytest.mark.usefixtures("dead_receiver")
def test_check_reports_dead_receivers_even_when_hidden() -> None:
    _, stderr, code = run_listsignals("--check", "--signal", "user_login_failed")

    assert code == 1
    assert stderr.startswith("signalkit.W005 dead: A weakly connected function receiver of")


def test_check_reports_a_receiver_without_kwargs(connect: Callable[..., None]) -> None:
    connect(no_kwargs_receiver)

    _, stderr, code = run_listsignals("--check")

    assert code == 1
    assert (
        ": signalkit.W002 no_kwargs: tests.test_listsignals.no_kwargs_receiver does not accept"
        in stderr
    )


@pytest.mark.usefixtures("pending_receiver")
def test_check_reports_an_unresolved_lazy_sender_with_djangos_check_id() -> None:
    _, stderr, code = run_listsignals("--check")

    assert code == 1
    assert (
        ": signals.E001 unresolved_sender: tests.test_listsignals.plain_receiver waits for"
        in stderr
    )


def test_check_reports_a_pre_save_receiver_that_never_reads_raw(
    connect_for: Callable[[Signal, object], None],
) -> None:
    connect_for(pre_save, Tag)
    line = listening.__code__.co_firstlineno

    _, stderr, code = run_listsignals("--check")

    assert code == 1
    assert stderr.startswith(
        f"tests/test_listsignals.py:{line}: signalkit.W007 ignores_raw: {LISTENING} never "
        f"reads raw, so it also runs when loaddata saves fixture rows"
    )


# --- receivers, senders and uids built to crash it ----------------------------------------------


@pytest.fixture(params=hostile.CONNECTIONS.values(), ids=hostile.CONNECTIONS.keys())
def hostile_receiver(request: pytest.FixtureRequest) -> Iterator[hostile.Hostile]:
    """One hostile connection to user_login_failed (see tests/registry_app/hostile.py)."""
    case: hostile.Hostile = request.param
    user_login_failed.connect(case.receiver, **case.connect_kwargs)
    yield case
    user_login_failed.disconnect(
        case.receiver,
        sender=case.connect_kwargs.get("sender"),
        dispatch_uid=case.connect_kwargs.get("dispatch_uid"),
    )


def test_text_lists_a_hostile_receiver(hostile_receiver: hostile.Hostile) -> None:
    stdout, stderr, code = run_listsignals("--signal", "user_login_failed", "--no-color")

    assert (code, stderr) == (0, "")
    (line,) = [line for line in receiver_lines(stdout) if hostile_receiver.listed_as in line]
    details = stdout[stdout.index(line) :].splitlines()[1]
    assert hostile_receiver.shown in f"{line} {details}"


def test_json_lists_a_hostile_receiver(hostile_receiver: hostile.Hostile) -> None:
    stdout, stderr, code = run_listsignals("--signal", "user_login_failed", "--format", "json")

    assert (code, stderr) == (0, "")
    (listed,) = [
        receiver
        for receiver in json.loads(stdout)["signals"][0]["receivers"]
        if receiver["path"] == hostile_receiver.listed_as
    ]
    assert hostile_receiver.shown in f"{listed['sender']} uid={listed['dispatch_uid']}"


def test_vim_lists_a_hostile_receiver_with_source(hostile_receiver: hostile.Hostile) -> None:
    expected = [
        f"{r.file}:{r.line}: {r.signal_path} {r.path}"
        for r in snapshot().filter(signal="user_login_failed").receivers
        if r.path == hostile_receiver.listed_as and r.file
    ]

    stdout, stderr, code = run_listsignals("--signal", "user_login_failed", "--format", "vim")

    assert (code, stderr) == (0, "")
    assert [line for line in stdout.splitlines() if hostile_receiver.listed_as in line] == expected


def test_check_reports_on_a_hostile_receiver_without_a_traceback(
    hostile_receiver: hostile.Hostile,
) -> None:
    _, stderr, code = run_listsignals("--signal", "user_login_failed", "--check")

    assert code == 0
    assert stderr.startswith("No problems found in ")


# --- colour -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("duplicate")
def test_no_color_output_has_no_ansi_escapes() -> None:
    stdout, stderr, _ = run_listsignals("--no-color", "--check")

    assert ANSI not in stdout
    assert ANSI not in stderr


def test_force_color_output_is_coloured() -> None:
    stdout, _, _ = run_listsignals("--force-color")

    assert ANSI in stdout
