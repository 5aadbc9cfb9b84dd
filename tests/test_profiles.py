"""AutoProfileMixin on the test shop's ``shop.Profile`` (``auth.User``).

The swapped user model, the abstract base, several one-to-one fields, the defaults hook and
multiple databases are in ``tests/profiles_swapped_app`` (see ``test_profiles_swapped.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.writer import MigrationWriter
from django.db.models.signals import class_prepared, post_save
from django.test import override_settings
from django.test.utils import CaptureQueriesContext, isolate_apps

from signalkit import autodiscover, muted_signals
from signalkit.mixins import AutoProfileMixin, BackfillProfiles
from signalkit.mixins import profiles as profiles_module
from signalkit.mixins.profiles import MAX_BATCH_SIZE
from signalkit.registry import ReceiverInfo, snapshot
from tests.factories import ProfileFactory, UserFactory, UserWithoutProfileFactory
from tests.processes import run_manage
from tests.registry_app.models import StaffUser
from tests.shop.models import Profile

pytestmark = pytest.mark.django_db

RECEIVER_PATH = "tests.shop.models.Profile.auto_create_receiver"
UID = "signalkit.AutoProfileMixin:shop.profile"


def receivers_of_profile() -> list[ReceiverInfo]:
    return [r for r in snapshot().receivers if r.receiver is Profile.auto_create_receiver]


def profile_inserts(queries: CaptureQueriesContext) -> int:
    insert = f"INSERT INTO {connection.ops.quote_name('shop_profile')}"
    return sum(1 for q in queries.captured_queries if q["sql"].startswith(insert))


def statements(queries: CaptureQueriesContext, start: str, table: str) -> int:
    quoted = connection.ops.quote_name(table)  # "table" or `table`
    return sum(
        1
        for q in queries.captured_queries
        if q["sql"].startswith(start) and quoted in q["sql"].split(" WHERE ")[0]
    )


def run_backfill_command(*args: str, tty: bool = False) -> tuple[str, str, int]:
    """Run ``backfill_profiles`` as ``manage.py`` would: (stdout, stderr, exit status)."""
    stdout = TTY() if tty else StringIO()
    stderr = StringIO()
    try:
        call_command("backfill_profiles", *args, stdout=stdout, stderr=stderr)
    except CommandError as exc:
        stderr.write(f"CommandError: {exc}\n")
        return stdout.getvalue(), stderr.getvalue(), exc.returncode
    return stdout.getvalue(), stderr.getvalue(), 0


class TTY(StringIO):
    def isatty(self) -> bool:
        return True


# --- how the receiver is connected ---------------------------------------------------------


def test_signalkit_connects_the_receiver_to_the_user_model_and_its_proxies() -> None:
    connected = {(r.signal_path, r.sender_label, r.dispatch_uid) for r in receivers_of_profile()}

    assert connected == {
        ("django.db.models.signals.post_save", "auth.User", UID),
        ("django.db.models.signals.post_save", "registry_app.StaffUser", UID),
    }


def test_the_receiver_is_listed_under_the_profile_models_app_and_name() -> None:
    [receiver] = [r for r in receivers_of_profile() if r.sender_label == "auth.User"]

    assert (receiver.path, receiver.app) == (RECEIVER_PATH, "shop")
    assert receiver.file == profiles_module.__file__


def test_the_receiver_never_listens_to_every_sender() -> None:
    assert all(r.sender is not None for r in receivers_of_profile())
    assert post_save.has_listeners(Profile) is False


def test_running_ready_and_autodiscovery_again_leaves_one_receiver_that_inserts_once() -> None:
    apps.get_app_config("signalkit").ready()
    apps.get_app_config("signalkit").ready()
    autodiscover()
    class_prepared.send(sender=Profile)

    with CaptureQueriesContext(connection) as queries:
        User.objects.create_user("once")

    assert len(receivers_of_profile()) == 2  # auth.User and its proxy
    assert profile_inserts(queries) == 1


def test_preparing_the_profile_model_again_keeps_the_receiver_it_names() -> None:
    receiver = Profile.auto_create_receiver

    class_prepared.send(sender=Profile)

    assert Profile.auto_create_receiver is receiver


# --- what creating a user does -------------------------------------------------------------


def test_creating_a_proxy_user_creates_its_profile() -> None:
    staff = StaffUser.objects.create_user("proxy")

    assert Profile.objects.filter(user_id=staff.pk).count() == 1


def test_the_new_profile_is_cached_on_the_user() -> None:
    user = User.objects.create_user("cached")

    with CaptureQueriesContext(connection) as queries:
        profile = user.profile

    assert profile.pk is not None
    assert len(queries) == 0


def test_a_user_saved_with_skip_auto_profile_gets_no_profile() -> None:
    user = User(username="skipped")
    user.skip_auto_profile = True  # type: ignore[attr-defined]

    user.save()

    assert not Profile.objects.filter(user=user).exists()


def test_muting_the_receiver_by_name_creates_no_profile() -> None:
    with muted_signals(post_save, receivers=[Profile.auto_create_receiver]):
        user = User.objects.create_user("muted")

    assert not Profile.objects.filter(user=user).exists()


def test_muting_the_receiver_leaves_it_working_afterwards() -> None:
    with muted_signals(post_save, receivers=[Profile.auto_create_receiver]):
        User.objects.create_user("muted")

    user = User.objects.create_user("heard")

    assert Profile.objects.filter(user=user).exists()


def test_loading_users_with_their_profiles_keeps_the_fixtures_profiles_only(
    tmp_path: Path,
) -> None:
    fixture = tmp_path / "users.json"
    fixture.write_text(
        json.dumps(
            [
                {"model": "auth.user", "pk": 501, "fields": {"username": "a", "password": "!"}},
                {"model": "auth.user", "pk": 502, "fields": {"username": "b", "password": "!"}},
                {"model": "shop.profile", "pk": 601, "fields": {"user": 501, "location": "Oslo"}},
                {"model": "shop.profile", "pk": 602, "fields": {"user": 502, "location": "Rome"}},
            ]
        )
    )

    call_command("loaddata", str(fixture), verbosity=0)

    assert sorted(Profile.objects.values_list("pk", "user_id", "location")) == [
        (601, 501, "Oslo"),
        (602, 502, "Rome"),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_user_created_in_a_rolled_back_atomic_block_leaves_no_profile() -> None:
    seen_inside: list[bool] = []

    def create_then_fail() -> None:
        with transaction.atomic():
            User.objects.create_user("ghost")
            seen_inside.append(Profile.objects.filter(user__username="ghost").exists())
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        create_then_fail()

    assert seen_inside == [True]
    assert not User.objects.filter(username="ghost").exists()
    assert not Profile.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_profile_inside_atomic_rolls_back_the_user_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Profile, "profile_defaults", classmethod(lambda cls, user: {"nope": 1}))

    with pytest.raises(TypeError, match="nope"), transaction.atomic():
        User.objects.create_user("half")

    assert not User.objects.filter(username="half").exists()


def test_a_profile_the_database_rejects_for_another_reason_raises_integrity_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Profile, "profile_defaults", classmethod(lambda cls, user: {"bio": None}))

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("rejected")


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_a_failing_profile_leaves_the_user_for_for_user_to_repair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(Profile, "profile_defaults", classmethod(lambda cls, user: {"nope": 1}))
        with pytest.raises(TypeError, match="nope"):
            User.objects.create_user("half")

    user = User.objects.get(username="half")
    assert Profile.for_user(user).user_id == user.pk
    assert Profile.objects.count() == 1


def test_the_receiver_for_a_user_who_has_a_profile_keeps_the_transaction_usable() -> None:
    user = User.objects.create_user("raced")
    existing = Profile.objects.get(user=user)

    with transaction.atomic():
        Profile.auto_create_receiver(sender=User, instance=user, created=True, raw=False)
        count = Profile.objects.filter(user=user).count()  # fails if the transaction broke

    assert count == 1
    assert user.profile.pk == existing.pk


# --- for_user --------------------------------------------------------------------------------


def test_for_user_returns_the_existing_profile_without_writing() -> None:
    profile = ProfileFactory(location="Oslo")
    user = User.objects.get(pk=profile.user_id)

    with CaptureQueriesContext(connection) as queries:
        found = Profile.for_user(user)

    assert (found.pk, found.location) == (profile.pk, "Oslo")
    assert profile_inserts(queries) == 0


def test_for_user_creates_the_missing_profile() -> None:
    user = UserWithoutProfileFactory()

    profile = Profile.for_user(user)

    assert Profile.objects.get(user=user).pk == profile.pk


def test_for_user_caches_the_profile_on_the_user() -> None:
    user = UserWithoutProfileFactory()
    profile = Profile.for_user(user)

    with CaptureQueriesContext(connection) as queries:
        assert user.profile is profile

    assert len(queries) == 0


def test_for_user_right_after_creating_the_user_needs_no_query() -> None:
    user = User.objects.create_user("fresh")

    with CaptureQueriesContext(connection) as queries:
        Profile.for_user(user)

    assert len(queries) == 0


def test_looking_at_user_profile_never_creates_one() -> None:
    user = UserWithoutProfileFactory()

    assert hasattr(user, "profile") is False
    assert not Profile.objects.exists()


def test_for_user_rejects_an_unsaved_user() -> None:
    with pytest.raises(ValueError, match="needs a saved user"):
        Profile.for_user(User(username="unsaved"))


def test_for_user_rejects_what_is_not_a_user() -> None:
    with pytest.raises(TypeError, match=r"takes a user \(auth\.User\), not 'dana'"):
        Profile.for_user("dana")  # type: ignore[arg-type]


def test_the_mixins_class_methods_need_a_concrete_model() -> None:
    with pytest.raises(TypeError, match="needs a concrete model: AutoProfileMixin is abstract"):
        AutoProfileMixin.backfill()


# --- backfill --------------------------------------------------------------------------------


def test_backfill_after_bulk_create_gives_each_user_one_profile_and_counts_them() -> None:
    User.objects.bulk_create(UserFactory.build_batch(25))
    UserFactory.create_batch(2)  # these have their profiles already

    created = Profile.backfill(batch_size=10)

    assert created == 25
    assert Profile.objects.count() == User.objects.count() == 27


def test_backfill_a_second_time_creates_nothing() -> None:
    User.objects.bulk_create(UserFactory.build_batch(5))
    Profile.backfill()

    assert Profile.backfill() == 0
    assert Profile.objects.count() == 5


def test_backfill_leaves_existing_profiles_as_they_are() -> None:
    kept = ProfileFactory(location="Oslo")
    UserWithoutProfileFactory()

    Profile.backfill()

    assert Profile.objects.get(pk=kept.pk).location == "Oslo"


def test_backfill_runs_one_select_and_one_insert_per_batch() -> None:
    UserWithoutProfileFactory.create_batch(50)

    with CaptureQueriesContext(connection) as queries:
        Profile.backfill(batch_size=20)

    assert statements(queries, "SELECT", "auth_user") == 3  # 20, 20, then 10: done
    assert statements(queries, "INSERT", "shop_profile") == 3


def test_backfill_reports_progress_after_each_batch() -> None:
    UserWithoutProfileFactory.create_batch(5)
    seen: list[int] = []

    Profile.backfill(batch_size=2, progress=seen.append)

    assert seen == [2, 4, 5]


def test_backfill_skips_profiles_created_after_it_chose_the_users(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if a request created one profile between backfill's SELECT and its INSERT.
    already = UserFactory()
    UserWithoutProfileFactory.create_batch(3)
    monkeypatch.setattr(
        profiles_module,
        "_users_without_profile",
        lambda model, field, db: User.objects.using(db).all(),
    )

    created = Profile.backfill()

    assert created == 3
    assert Profile.objects.filter(user=already).count() == 1
    assert Profile.objects.count() == 4


def test_users_without_profile_are_exactly_those() -> None:
    UserFactory()
    lacking = UserWithoutProfileFactory.create_batch(2)

    assert list(Profile.users_without_profile().order_by("pk")) == lacking


@pytest.mark.parametrize("batch_size", [0, -5, MAX_BATCH_SIZE + 1, 2**63])
def test_backfill_with_a_batch_size_out_of_range_is_a_value_error_naming_it(
    batch_size: int,
) -> None:
    UserWithoutProfileFactory()

    message = f"batch_size must be from 1 to 100000 (users per batch), not {batch_size}."
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        Profile.backfill(batch_size=batch_size)

    assert not Profile.objects.exists()


@pytest.mark.parametrize("batch_size", ["10", 1.5, True, None])
def test_backfill_with_a_batch_size_that_is_no_int_is_a_type_error_naming_it(
    batch_size: object,
) -> None:
    UserWithoutProfileFactory()

    message = f"batch_size must be an int from 1 to 100000 (users per batch), not {batch_size!r}."
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        Profile.backfill(batch_size=batch_size)  # type: ignore[arg-type]

    assert not Profile.objects.exists()


def test_backfill_takes_the_largest_batch_size() -> None:
    UserWithoutProfileFactory.create_batch(2)

    assert Profile.backfill(batch_size=MAX_BATCH_SIZE) == 2


def test_a_data_migration_with_a_bad_batch_size_fails_when_it_is_written() -> None:
    with pytest.raises(ValueError, match=r"batch_size must be from 1 to 100000 .*, not 0\.$"):
        BackfillProfiles("shop.Profile", batch_size=0)


# --- manage.py backfill_profiles -------------------------------------------------------------


def test_the_command_creates_the_missing_profiles_and_says_how_many() -> None:
    UserWithoutProfileFactory.create_batch(3)

    stdout, _, code = run_backfill_command()

    assert code == 0
    assert stdout.splitlines() == [
        "shop.Profile: 3 users without a profile.",
        "shop.Profile: created 3 profiles.",
    ]
    assert Profile.objects.count() == 3


def test_dry_run_writes_nothing_and_counts_the_users_without_a_profile() -> None:
    UserWithoutProfileFactory.create_batch(3)

    with CaptureQueriesContext(connection) as queries:
        stdout, _, code = run_backfill_command("--dry-run")

    assert code == 0
    assert stdout == "shop.Profile: 3 users without a profile; --dry-run: nothing written.\n"
    assert not Profile.objects.exists()
    assert all(q["sql"].startswith("SELECT") for q in queries.captured_queries)


def test_the_model_option_backfills_that_model() -> None:
    UserWithoutProfileFactory()

    stdout, _, code = run_backfill_command("--model", "shop.Profile", "--batch-size", "1")

    assert code == 0
    assert "shop.Profile: created 1 profile." in stdout


def test_when_every_user_has_a_profile_the_command_says_so() -> None:
    UserFactory()

    stdout, _, _ = run_backfill_command()

    assert stdout == "shop.Profile: every user has a profile.\n"


def test_on_a_terminal_the_command_updates_a_progress_line() -> None:
    UserWithoutProfileFactory.create_batch(3)

    stdout, _, _ = run_backfill_command("--batch-size", "2", tty=True)

    assert "\rshop.Profile: 2 of 3 (66%)\rshop.Profile: 3 of 3 (100%)\n" in stdout


def test_off_a_terminal_the_command_prints_no_progress_line() -> None:
    UserWithoutProfileFactory.create_batch(3)

    stdout, _, _ = run_backfill_command("--batch-size", "2")

    assert "\r" not in stdout


def test_verbosity_zero_prints_nothing_and_still_backfills() -> None:
    UserWithoutProfileFactory()

    stdout, _, _ = run_backfill_command("--verbosity", "0", tty=True)

    assert stdout == ""
    assert Profile.objects.count() == 1


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("shop.Nope", "--model 'shop.Nope' is not an installed model."),
        ("nope", "--model 'nope' is not an installed model."),
        ("shop.Product", "--model 'shop.Product': shop.Product does not use"),
    ],
    ids=["unknown-model", "not-a-label", "not-a-profile-model"],
)
def test_a_bad_model_is_a_command_error_listing_the_profile_models(
    label: str, message: str
) -> None:
    _, stderr, code = run_backfill_command("--model", label)

    assert code == 1
    assert message in stderr
    assert stderr.rstrip().endswith("Profile models: shop.Profile.")


@pytest.mark.parametrize(
    "value", ["0", "-1", "100001", "9223372036854775808", "abc", "1.5", "1_000", ""]
)
def test_a_batch_size_that_is_no_whole_number_from_1_to_100000_is_one_line_and_exit_1(
    value: str,
) -> None:
    UserWithoutProfileFactory()

    stdout, stderr, code = run_backfill_command("--batch-size", value)

    assert (stdout, code) == ("", 1)
    assert stderr == (
        f"CommandError: --batch-size {value!r} is not a whole number from 1 to 100000 "
        f"(users per batch).\n"
    )
    assert not Profile.objects.exists()


def test_a_batch_size_from_call_command_is_checked_too() -> None:
    _, stderr, code = run_backfill_command("--batch-size=0", "--dry-run")

    assert code == 1
    assert "--batch-size '0' is not a whole number" in stderr


def test_the_largest_batch_size_is_taken() -> None:
    UserWithoutProfileFactory()

    stdout, _, code = run_backfill_command("--batch-size", "100000")

    assert code == 0
    assert "shop.Profile: created 1 profile." in stdout


def test_an_unknown_database_is_one_line_naming_it_and_the_databases() -> None:
    UserWithoutProfileFactory()

    stdout, stderr, code = run_backfill_command("--database", "nope")

    assert (stdout, code) == ("", 1)
    assert stderr == (
        "CommandError: --database 'nope' is not a configured database. Databases: default.\n"
    )
    assert not Profile.objects.exists()


def test_a_bad_option_after_good_ones_writes_nothing() -> None:
    UserWithoutProfileFactory()

    _, _, code = run_backfill_command("--model", "shop.Profile", "--database", "nope")

    assert code == 1
    assert not Profile.objects.exists()


def test_a_database_error_midway_is_one_line_saying_what_was_done_and_how_to_resume(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    users = UserWithoutProfileFactory.create_batch(3)
    monkeypatch.setattr(
        Profile,
        "profile_defaults",
        classmethod(lambda cls, user: {"bio": None if user.pk == users[2].pk else ""}),
    )

    stdout, stderr, code = run_backfill_command("--batch-size", "2")

    assert code == 1
    assert stdout == "shop.Profile: 3 users without a profile.\n"
    assert stderr.startswith(
        "CommandError: shop.Profile: the database refused the backfill after 2 new profiles: "
    )
    assert stderr.endswith(
        ". Each batch commits on its own: fix the cause and run the command again to resume.\n"
    )
    assert stderr.count("\n") == 1
    assert Profile.objects.count() == 2


@pytest.mark.parametrize(
    "args",
    [
        ("--batch-size", "9223372036854775808"),
        ("--database", "bogus"),
        ("--model", "shop.Nope"),
    ],
    ids=["batch-size", "database", "model"],
)
def test_manage_py_with_a_bad_option_exits_1_with_one_line_and_touches_no_database(
    tmp_path: Path, args: tuple[str, str]
) -> None:
    database = tmp_path / "db.sqlite3"

    # --skip-checks: Django 6.1's system checks ask every database whether it supports the
    # JSONFields of installed models (django_tasks_db's), which opens SQLite's file before
    # any command runs; what is tested here is the command's own validation.
    result = run_manage(
        "backfill_profiles",
        *args,
        "--skip-checks",
        url=f"sqlite:///{database}",
        settings="tests.settings",
    )

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith(f"CommandError: {args[0]} {args[1]!r}")
    assert result.stderr.count("\n") == 1
    assert not database.exists()


# --- data migrations: BackfillProfiles ------------------------------------------------------


def historical_apps() -> Any:
    return (
        MigrationExecutor(connection).loader.project_state(("shop", "0002_backfill_profiles")).apps
    )


def a_schema_editor() -> Any:
    # RunPython code only reads schema_editor.connection; SQLite's real schema editor
    # cannot open inside the test's transaction.
    return cast(Any, SimpleNamespace(connection=connection))


def test_backfill_profiles_creates_the_missing_profiles_with_historical_models() -> None:
    UserWithoutProfileFactory.create_batch(3)

    BackfillProfiles("shop.Profile")(historical_apps(), a_schema_editor())

    assert Profile.objects.count() == 3


def test_backfill_profiles_skips_a_database_the_routers_keep_the_model_out_of() -> None:
    UserWithoutProfileFactory()

    with override_settings(DATABASE_ROUTERS=[NoProfilesRouter()]):
        BackfillProfiles("shop.Profile")(historical_apps(), a_schema_editor())

    assert not Profile.objects.exists()


class NoProfilesRouter:
    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if hints.get("model_name") == "profile" else None


@pytest.mark.django_db(transaction=True)
def test_the_shops_data_migration_backfills_users_that_predate_it() -> None:
    UserWithoutProfileFactory.create_batch(2)
    call_command("migrate", "shop", "0001", verbosity=0)

    call_command("migrate", "shop", verbosity=0)

    assert Profile.objects.count() == 2


def test_backfill_profiles_is_written_into_migrations_by_its_import_path() -> None:
    written, imports = MigrationWriter.serialize(BackfillProfiles("shop.Profile"))

    assert written == "signalkit.mixins.profiles.BackfillProfiles('shop.Profile')"
    assert imports == {"import signalkit.mixins.profiles"}


def test_backfill_profiles_takes_a_model_label() -> None:
    with pytest.raises(ValueError, match=r"e\.g\. BackfillProfiles\('users\.Profile'\), not"):
        BackfillProfiles(Profile)  # type: ignore[arg-type]


# --- misconfigured profile models: an error when the class is defined ---------------------


@pytest.fixture
def define() -> Iterator[Callable[..., type[models.Model]]]:
    """``define(name, **attrs)``: a profile model of the shop app, in a registry of its own."""
    with isolate_apps("tests.shop"):

        def define_(name: str, **attrs: Any) -> type[models.Model]:
            body = {"__module__": "tests.shop.models", **attrs}
            return type(name, (AutoProfileMixin, models.Model), body)

        yield define_


def user_link(**options: Any) -> models.OneToOneField[Any]:
    return models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", **options
    )


def test_a_profile_model_without_a_one_to_one_field_to_the_user_model_is_an_error(
    define: Callable[..., type[models.Model]],
) -> None:
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, unique=True)

    with pytest.raises(
        ImproperlyConfigured,
        match=r"^shop\.Orphan uses AutoProfileMixin but has no OneToOneField to "
        r"settings\.AUTH_USER_MODEL \('auth\.User'\)\. Add one: user = models\.OneToOneField",
    ):
        define("Orphan", owner=owner)


def test_several_one_to_one_fields_to_the_user_model_without_the_setting_is_an_error(
    define: Callable[..., type[models.Model]],
) -> None:
    with pytest.raises(
        ImproperlyConfigured,
        match=r"^shop\.Pair has 2 OneToOneFields to settings\.AUTH_USER_MODEL \('auth\.User'\): "
        r"owner, reviewer\. Say which one is the profile's user: set "
        r"profile_user_field = '<name>' on the model, e\.g\. 'owner'\.$",
    ):
        define("Pair", owner=user_link(), reviewer=user_link(null=True))


def test_a_profile_user_field_that_is_no_field_is_an_error(
    define: Callable[..., type[models.Model]],
) -> None:
    with pytest.raises(
        ImproperlyConfigured,
        match=r"^shop\.Typo: profile_user_field = 'usr' is not a field of shop\.Typo\. "
        r"Name one of its OneToOneFields to the user model: user\.$",
    ):
        define("Typo", profile_user_field="usr", user=user_link())


def test_a_profile_user_field_that_is_not_a_link_to_the_user_model_is_an_error(
    define: Callable[..., type[models.Model]],
) -> None:
    with pytest.raises(
        ImproperlyConfigured,
        match=r"^shop\.Wrong: profile_user_field = 'nickname' is not a OneToOneField to "
        r"settings\.AUTH_USER_MODEL \('auth\.User'\)",
    ):
        define(
            "Wrong", profile_user_field="nickname", user=user_link(), nickname=models.TextField()
        )


def test_profile_user_field_chooses_among_several_links_to_the_user_model(
    define: Callable[..., type[models.Model]],
) -> None:
    model = define("Chosen", profile_user_field="reviewer", owner=user_link(), reviewer=user_link())

    assert profiles_module._field_of(model).name == "reviewer"


def test_a_profile_model_in_another_app_registry_never_listens_to_the_real_user_model(
    define: Callable[..., type[models.Model]],
) -> None:
    model = define("Elsewhere", user=user_link())

    registry = snapshot()
    assert not any(r.receiver is model.auto_create_receiver for r in registry.receivers)
    assert not any(r.receiver is model.auto_create_receiver for r in registry.pending)
