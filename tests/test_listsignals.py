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
from django.db.models.signals import post_save

from signalkit.registry import ReceiverInfo, snapshot
from tests.conftest import DEAD_RECEIVER_UID
from tests.processes import REPO_ROOT, run_manage
from tests.registry_app import hostile

ANSI = "\x1b["
# The receiver signalkit's AutoProfileMixin connects for users.Profile, as listed.
PROFILE_RECEIVER = (
    "example_project.users.models.Profile.auto_create_receiver"
    " [uid=signalkit.AutoProfileMixin:users.profile]"
)
# What follows the receivers signalkit's StockMovementMixin connects for orders.Order.
STOCK_UID = " [uid=signalkit.StockMovementMixin:orders.order]"


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


# --- receivers the tests connect to user_login_failed, which the shop leaves alone ---------


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


@pytest.fixture
def duplicate(connect: Callable[..., None]) -> None:
    connect(plain_receiver, dispatch_uid="listsignals-first")
    connect(plain_receiver, dispatch_uid="listsignals-second")


# --- the default listing --------------------------------------------------------------------


def test_every_example_receiver_is_listed_by_default() -> None:
    example = [r.path for r in snapshot().receivers if r.path.startswith("example_project.")]

    stdout, _, code = run_listsignals()

    assert code == 0
    assert len(example) >= 9
    # A line is the path, then flags such as " [uid=...]".
    assert {line.strip().split(" [")[0] for line in receiver_lines(stdout)} >= set(example)


def test_a_signal_heading_shows_its_dotted_path_and_receiver_count() -> None:
    stdout, _, _ = run_listsignals("--signal", "example_project.orders.signals.order_confirmed")

    assert stdout.splitlines()[0] == "example_project.orders.signals.order_confirmed (1 receiver)"


def test_a_receiver_shows_its_app_sender_and_source_file_and_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO_ROOT)
    stamp = receiver_named("example_project.products.signals.stamp_price_change")

    stdout, _, _ = run_listsignals("--signal", "pre_save")

    lines = stdout.splitlines()
    details = lines[lines.index(f"  {stamp.path}") + 1]
    assert details == (
        f"      app products, sender products.Product, "
        f"example_project/products/signals.py:{stamp.line}"
    )


def test_a_receiver_outside_the_working_directory_shows_its_absolute_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    stamp = receiver_named("example_project.products.signals.stamp_price_change")

    stdout, _, _ = run_listsignals("--signal", "pre_save")

    assert f"{stamp.file}:{stamp.line}" in stdout


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
    expected = snapshot().filter(app="products")

    stdout, _, _ = run_listsignals("--app", "products")

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
    stdout, _, _ = run_listsignals("--app", "products")

    listed = [line.strip() for line in receiver_lines(stdout)]
    assert "example_project.products.signals.count_units_sold" in listed
    assert all(path.startswith("example_project.products.") for path in listed)


def test_app_repeated_keeps_the_receivers_of_either_app() -> None:
    stdout, _, _ = run_listsignals("--app", "users", "--app", "blog")

    assert [line.strip() for line in receiver_lines(stdout)] == [
        PROFILE_RECEIVER,  # for auth.User
        PROFILE_RECEIVER,  # for its proxy registry_app.StaffUser
        "example_project.blog.signals.notify_post_author",
    ]


def test_signal_by_name_keeps_only_that_signal() -> None:
    stdout, _, _ = run_listsignals("--signal", "pre_save")

    assert [line.strip() for line in receiver_lines(stdout)] == [
        f"signalkit.mixins.stock.move_stock_before_save{STOCK_UID}",
        "example_project.products.signals.stamp_price_change",
        "example_project.products.signals.refresh_tag_names_on_save",
    ]


def test_signal_by_dotted_path_keeps_only_that_signal() -> None:
    stdout, _, _ = run_listsignals("--signal", "django.db.models.signals.post_delete")

    assert [line.strip() for line in receiver_lines(stdout)] == [
        f"signalkit.mixins.stock.restock_after_delete{STOCK_UID}",
        "example_project.products.signals.refresh_tag_names_on_delete",
    ]


def test_signal_repeated_keeps_either_signal() -> None:
    stdout, _, _ = run_listsignals("--signal", "pre_delete", "--signal", "post_delete")

    assert [line.strip() for line in receiver_lines(stdout)] == [
        f"signalkit.mixins.stock.note_restock_before_delete{STOCK_UID}",
        "example_project.products.signals.note_products_of_deleted_tag",
        f"signalkit.mixins.stock.restock_after_delete{STOCK_UID}",
        "example_project.products.signals.refresh_tag_names_on_delete",
    ]


def test_sender_keeps_receivers_of_that_model_and_of_any_sender() -> None:
    stdout, _, _ = run_listsignals("--sender", "products.Tag")

    listed = [line.strip() for line in receiver_lines(stdout)]
    assert "example_project.products.signals.refresh_tag_names_on_rename" in listed
    assert "example_project.products.signals.count_units_sold" in listed  # any sender
    assert "example_project.products.signals.stamp_price_change" not in listed  # Product
    assert PROFILE_RECEIVER not in listed  # auth.User


def test_sender_repeated_keeps_receivers_of_either_model() -> None:
    stdout, _, _ = run_listsignals("--sender", "auth.User", "--sender", "blog.Comment")

    listed = [line.strip() for line in receiver_lines(stdout)]
    assert PROFILE_RECEIVER in listed
    assert "example_project.blog.signals.notify_post_author" in listed
    assert "example_project.products.signals.refresh_tag_names_on_rename" not in listed


def test_different_filters_must_all_match() -> None:
    stdout, _, _ = run_listsignals(
        "--app", "products", "--signal", "post_save", "--sender", "products.Tag"
    )

    assert [line.strip() for line in receiver_lines(stdout)] == [
        "example_project.products.signals.refresh_tag_names_on_rename"
    ]


def test_app_and_sender_together_keep_that_apps_receivers_for_that_model() -> None:
    stdout, _, _ = run_listsignals("--app", "products", "--sender", "products.Product")

    assert [line.strip() for line in receiver_lines(stdout)] == [
        "example_project.products.signals.stamp_price_change",
        "example_project.products.signals.refresh_tag_names_on_save",
        "example_project.products.signals.count_units_sold",
    ]


@pytest.mark.parametrize(
    ("option", "value", "a_valid_choice"),
    [
        ("--app", "nope", "products"),
        ("--signal", "nope", "post_save"),
        ("--sender", "nope.Model", "products.Product"),
        ("--sender", "Product", "products.Product"),
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
    _, stderr, code = run_listsignals("--app", "products", "--app", "nope")

    assert code == 1
    assert "'nope'" in stderr


def test_manage_py_with_an_unknown_app_exits_1_with_a_message_and_no_traceback() -> None:
    result = run_manage("listsignals", "--app", "nope")

    assert result.returncode == 1
    assert "Unknown app label 'nope'" in result.stderr
    assert "Installed app labels: " in result.stderr
    assert "products" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


# --- json and vim -----------------------------------------------------------------------------


def test_json_has_the_signals_pending_and_problems_keys() -> None:
    stdout, _, code = run_listsignals("--format", "json")

    assert code == 0
    assert set(json.loads(stdout)) == {"signals", "pending", "problems"}


def test_json_is_the_filtered_registrys_to_dict() -> None:
    stdout, _, _ = run_listsignals("--format", "json", "--app", "products", "--signal", "pre_save")

    assert json.loads(stdout) == snapshot().filter(app="products", signal="pre_save").to_dict()


def test_json_with_sender_is_the_registry_filtered_by_sender() -> None:
    stdout, _, _ = run_listsignals(
        "--format", "json", "--app", "products", "--sender", "products.Tag"
    )

    expected = snapshot().filter(app="products", sender="products.Tag").to_dict()
    assert json.loads(stdout) == expected


def test_json_is_indented() -> None:
    stdout, _, _ = run_listsignals("--format", "json", "--app", "users")

    assert stdout.startswith('{\n  "signals": [\n')


def test_vim_prints_one_file_line_signal_receiver_line_per_receiver() -> None:
    stdout, _, code = run_listsignals("--format", "vim")

    lines = stdout.splitlines()
    assert code == 0
    assert len(lines) == len([r for r in snapshot().receivers if r.file and r.alive])
    assert all(re.match(r"^[^:]+:\d+: \S+ \S+$", line) for line in lines)


def test_vim_line_points_at_the_receivers_source() -> None:
    count = receiver_named("example_project.products.signals.count_units_sold")

    stdout, _, _ = run_listsignals("--format", "vim", "--signal", "order_confirmed")

    assert stdout.splitlines() == [
        f"{count.file}:{count.line}: example_project.orders.signals.order_confirmed "
        f"example_project.products.signals.count_units_sold"
    ]


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


def test_check_exits_0_and_says_so_when_there_is_no_problem() -> None:
    stdout, stderr, code = run_listsignals("--check", "--app", "products")

    assert code == 0
    assert stderr == "No problems found.\n"
    assert "example_project.products.signals.count_units_sold" in stdout


@pytest.mark.usefixtures("duplicate")
def test_check_exits_1_listing_a_duplicate_on_stderr() -> None:
    line = plain_receiver.__code__.co_firstlineno

    stdout, stderr, code = run_listsignals("--check")

    assert code == 1
    assert f"tests/test_listsignals.py:{line}: duplicate: tests.test_listsignals." in stderr
    assert "connected to django.contrib.auth.signals.user_login_failed 2 times" in stderr
    assert "DUPLICATE" in stdout


@pytest.mark.usefixtures("duplicate")
def test_check_only_looks_at_the_filtered_receivers() -> None:
    _, stderr, code = run_listsignals("--check", "--app", "products")

    assert code == 0
    assert stderr == "No problems found.\n"


@pytest.mark.usefixtures("duplicate")
def test_check_with_json_still_prints_the_json() -> None:
    stdout, _, code = run_listsignals("--check", "--format", "json")

    assert code == 1
    assert [p["kind"] for p in json.loads(stdout)["problems"]] == ["duplicate"]


@pytest.mark.usefixtures("dead_receiver")
def test_check_reports_dead_receivers_even_when_hidden() -> None:
    _, stderr, code = run_listsignals("--check", "--signal", "user_login_failed")

    assert code == 1
    assert "  dead: A weakly connected function receiver of" in stderr


def test_check_reports_a_receiver_without_kwargs(connect: Callable[..., None]) -> None:
    connect(no_kwargs_receiver)

    _, stderr, code = run_listsignals("--check")

    assert code == 1
    assert "no_kwargs: tests.test_listsignals.no_kwargs_receiver does not accept" in stderr


@pytest.mark.usefixtures("pending_receiver")
def test_check_reports_an_unresolved_lazy_sender() -> None:
    _, stderr, code = run_listsignals("--check")

    assert code == 1
    assert "unresolved_sender: tests.test_listsignals.plain_receiver waits for" in stderr


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

    assert (code, stderr.strip()) == (0, "No problems found.")


# --- colour -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("duplicate")
def test_no_color_output_has_no_ansi_escapes() -> None:
    stdout, stderr, _ = run_listsignals("--no-color", "--check")

    assert ANSI not in stdout
    assert ANSI not in stderr


def test_force_color_output_is_coloured() -> None:
    stdout, _, _ = run_listsignals("--force-color")

    assert ANSI in stdout
