"""Profile creation under concurrent writers, at each isolation level.

The contract (docs/profiles.md, ``signalkit.mixins.profiles``): a call that loses the race
to create a user's profile returns the winner's profile, except inside ``atomic()`` at
REPEATABLE READ or SERIALIZABLE on PostgreSQL, whose snapshot cannot see the winner's row:
there it raises ``ProfileSerializationFailure`` (an ``OperationalError``: retry the
transaction). Never ``IntegrityError``, never two profiles.

Each race is forced: one thread pauses at the critical point (a receiver on the profile's
``pre_save`` / ``post_save``, a receiver on the user's ``post_save`` connected after
signalkit's, or an execute wrapper around backfill's INSERT) while another thread commits,
and a thread that must wait for a row lock is seen waiting by the database before the
other one goes on. Then a randomized stress test checks the invariant on every database.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.db.models.signals import ModelSignal, post_save, pre_save

from signalkit.mixins.profiles import ProfileSerializationFailure
from tests.factories import UserWithoutProfileFactory
from tests.shop.models import Profile

pytestmark = pytest.mark.django_db(transaction=True)

T = TypeVar("T")

#: Seconds a thread may take to reach a pause, or to be released: a deadline for hangs.
DEADLINE = 30.0

# Django's PostgreSQL backend takes psycopg's IsolationLevel (an IntEnum) or its value.
POSTGRESQL_LEVELS = {"read committed": 2, "repeatable read": 3, "serializable": 4}


def level(vendor: str, name: str) -> Any:
    marks = pytest.mark.postgresql if vendor == "postgresql" else pytest.mark.mariadb
    label = "mariadb" if vendor == "mysql" else vendor
    return pytest.param((vendor, name), marks=marks, id=f"{label}-{name.replace(' ', '-')}")


# Where a snapshot cannot see a row committed after it: PostgreSQL's snapshot levels.
BLIND = [level("postgresql", "repeatable read"), level("postgresql", "serializable")]
# Where the read after a lost INSERT sees the winner's row.
SEEING = [
    level("postgresql", "read committed"),
    level("mysql", "repeatable read"),
    level("mysql", "read committed"),
]
EVERY_LEVEL = SEEING + BLIND


@contextmanager
def isolation_level(vendor: str, name: str) -> Iterator[None]:
    """Every connection opened meanwhile runs at this isolation level (``OPTIONS``)."""
    assert connection.vendor == vendor, f"the test database is {connection.vendor}"
    options = connection.settings_dict.setdefault("OPTIONS", {})
    before = dict(options)
    options["isolation_level"] = POSTGRESQL_LEVELS[name] if vendor == "postgresql" else name
    connection.close()
    try:
        yield
    finally:
        options.clear()
        options.update(before)
        connection.close()


@pytest.fixture
def isolation(request: pytest.FixtureRequest) -> Iterator[str]:
    vendor, name = request.param
    with isolation_level(vendor, name):
        yield name


# --- threads, pauses and lock waits ---------------------------------------------------------


_current = threading.local()


class Worker(Generic[T]):
    """``work()`` in a thread of its own (so a connection of its own, closed at the end)."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        self._value: T | None = None
        self._error: BaseException | None = None
        self.session: int | None = None
        self.connected = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        _current.worker = self
        try:
            self._value = self._work()
        except BaseException as exc:
            self._error = exc
        finally:
            connection.close()
            self.connected.set()  # never leave the test waiting for a thread that failed

    def wait_until_blocked(self) -> None:
        """Return once the database shows this thread waiting for a row lock (the work
        called :func:`note_session` first)."""
        assert self.connected.wait(DEADLINE), "the worker never connected"
        assert self.session is not None, f"the worker ended first: {self._error!r}"
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if waits_for_a_lock(self.session):
                return
            assert self._thread.is_alive(), f"the worker ended instead: {self._error!r}"
            time.sleep(0.005)
        pytest.fail("the worker never waited for a lock")

    def result(self) -> T:
        self._thread.join(DEADLINE)
        assert not self._thread.is_alive(), "the worker hung"
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def waits_for_a_lock(session: int) -> bool:
    """Whether the database session ``session`` is waiting for a lock right now."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [session])
            row = cursor.fetchone()
            return row is not None and row[0] == "Lock"
        # MariaDB's information_schema.INNODB_TRX is a cache that can lag behind: ask InnoDB.
        cursor.execute("SHOW ENGINE INNODB STATUS")
        status = cursor.fetchone()[2]
    return any(
        re.search(rf"\b(MariaDB|MySQL) thread id {session},", trx) and "LOCK WAIT" in trx
        for trx in status.split("---TRANSACTION")
    )


def note_session() -> None:
    """In a worker: tell the test this thread's database session (a first query, which also
    takes the snapshot of a REPEATABLE READ transaction)."""
    with connection.cursor() as cursor:
        query = "SELECT pg_backend_pid()" if connection.vendor == "postgresql" else None
        cursor.execute(query or "SELECT CONNECTION_ID()")
        session = int(cursor.fetchone()[0])
    worker = _current.worker
    worker.session = session
    worker.connected.set()


class Pause:
    """Holds one armed thread at a point (a receiver, an execute wrapper) until released."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.released = threading.Event()
        self._armed: int | None = None

    def arm(self) -> None:
        """Called by the thread to pause: the next time it reaches the point, it waits."""
        self._armed = threading.get_ident()

    def hold(self) -> None:
        if threading.get_ident() != self._armed:
            return
        self._armed = None
        self.reached.set()
        if not self.released.wait(DEADLINE):
            raise RuntimeError("the paused thread was never released")

    def wait_reached(self) -> None:
        assert self.reached.wait(DEADLINE), "the thread never reached the pause"

    def release(self) -> None:
        self.released.set()

    def receiver(self, sender: object, **kwargs: Any) -> None:
        self.hold()

    def around_profile_insert(self, *, after: bool) -> AbstractContextManager[None]:
        """An execute wrapper (for this thread's connection) pausing at the profile INSERT."""
        insert = f"INSERT INTO {connection.ops.quote_name(Profile._meta.db_table)}"

        def wrapper(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
            if not sql.startswith(insert):
                return execute(sql, *args)
            self.arm()
            if not after:
                self.hold()
            result = execute(sql, *args)
            if after:
                self.hold()
            return result

        return connection.execute_wrapper(wrapper)


@pytest.fixture
def pause_at() -> Iterator[Callable[[ModelSignal, type[Any]], Pause]]:
    """``pause_at(signal, sender)``: a Pause on a receiver connected now (so after
    signalkit's), disconnected and released at the end of the test."""
    connected: list[tuple[ModelSignal, type[Any], Pause]] = []

    def make(signal: ModelSignal, sender: type[Any]) -> Pause:
        pause = Pause()
        signal.connect(pause.receiver, sender=sender, weak=False, dispatch_uid=id(pause))
        connected.append((signal, sender, pause))
        return pause

    yield make
    for signal, sender, pause in connected:
        pause.release()
        signal.disconnect(sender=sender, dispatch_uid=id(pause))


def fresh(user: User) -> User:
    """The user read again, so that no cached profile answers for_user()."""
    return User.objects.get(pk=user.pk)


def for_user_in_atomic(user: User) -> Profile:
    """In a worker: for_user() inside atomic(), after a first read took the snapshot."""
    with transaction.atomic():
        note_session()
        return Profile.for_user(fresh(user))


def for_user_in_autocommit(user: User) -> Profile:
    note_session()
    return Profile.for_user(fresh(user))


# --- for_user against for_user: the loser read "no profile", then the winner committed -------


@pytest.mark.parametrize("isolation", EVERY_LEVEL, indirect=True)
def test_for_user_losing_the_race_in_autocommit_returns_the_winners_profile(
    isolation: str, pause_at: Callable[[ModelSignal, type[Any]], Pause]
) -> None:
    user = UserWithoutProfileFactory()
    before_insert = pause_at(pre_save, Profile)

    def lose() -> Profile:
        before_insert.arm()
        return Profile.for_user(fresh(user))

    loser = Worker(lose)
    before_insert.wait_reached()
    winner = Worker(lambda: Profile.for_user(fresh(user))).result()
    before_insert.release()

    assert loser.result().pk == winner.pk == Profile.objects.get(user=user).pk


@pytest.mark.parametrize("isolation", SEEING, indirect=True)
def test_for_user_losing_the_race_inside_atomic_returns_the_winners_profile(
    isolation: str, pause_at: Callable[[ModelSignal, type[Any]], Pause]
) -> None:
    user = UserWithoutProfileFactory()
    before_insert = pause_at(pre_save, Profile)

    def lose() -> Profile:
        with transaction.atomic():
            User.objects.filter(pk=user.pk).exists()  # the snapshot, at REPEATABLE READ
            before_insert.arm()
            profile = Profile.for_user(fresh(user))
            Profile.objects.filter(pk=profile.pk).exists()  # the transaction is usable
            return profile

    loser = Worker(lose)
    before_insert.wait_reached()
    winner = Worker(lambda: Profile.for_user(fresh(user))).result()
    before_insert.release()

    assert loser.result().pk == winner.pk
    assert Profile.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("isolation", BLIND, indirect=True)
def test_for_user_losing_the_race_inside_a_snapshot_raises_a_serialization_failure(
    isolation: str, pause_at: Callable[[ModelSignal, type[Any]], Pause]
) -> None:
    user = UserWithoutProfileFactory()
    before_insert = pause_at(pre_save, Profile)

    def lose() -> Profile:
        with transaction.atomic():
            User.objects.filter(pk=user.pk).exists()
            before_insert.arm()
            return Profile.for_user(fresh(user))

    loser = Worker(lose)
    before_insert.wait_reached()
    winner = Worker(lambda: Profile.for_user(fresh(user))).result()
    before_insert.release()

    with pytest.raises(ProfileSerializationFailure) as raised:
        loser.result()
    assert str(raised.value) == (
        f"shop.Profile.for_user(): another transaction created the profile of auth.User "
        f"{user.pk} after this transaction's snapshot was taken ({isolation.upper()}), so "
        f"this transaction can neither see that profile nor create another. Retry the whole "
        f"transaction, or create profiles at READ COMMITTED or outside atomic()."
    )
    assert isinstance(raised.value, OperationalError)
    assert isinstance(raised.value.__cause__, IntegrityError)
    assert list(Profile.objects.filter(user=user).values_list("pk", flat=True)) == [winner.pk]


@pytest.mark.parametrize("isolation", BLIND, indirect=True)
def test_retrying_the_transaction_after_a_serialization_failure_returns_the_profile(
    isolation: str, pause_at: Callable[[ModelSignal, type[Any]], Pause]
) -> None:
    user = UserWithoutProfileFactory()
    before_insert = pause_at(pre_save, Profile)
    attempts: list[str] = []

    def lose_then_retry() -> Profile:
        for attempt in range(2):
            try:
                with transaction.atomic():
                    User.objects.filter(pk=user.pk).exists()
                    before_insert.arm() if attempt == 0 else None
                    return Profile.for_user(fresh(user))
            except OperationalError as exc:
                attempts.append(type(exc).__name__)
        raise AssertionError("unreachable")

    loser = Worker(lose_then_retry)
    before_insert.wait_reached()
    winner = Worker(lambda: Profile.for_user(fresh(user))).result()
    before_insert.release()

    assert loser.result().pk == winner.pk
    assert attempts == ["ProfileSerializationFailure"]


# --- waiting for an uncommitted profile: the winner paused after its INSERT ------------------


WINNERS = ["for_user", "a new user's receiver"]


def start_winner(
    kind: str, after_insert: Pause, *, roll_back: bool = False
) -> tuple[Worker[Profile], User]:
    """A thread that inserts a user's profile and pauses before committing it, and the user,
    once it is paused. ``kind``: for_user() of a user without a profile (rolled back if
    asked), or the receiver of a user the thread creates in autocommit (so the user is
    committed, and visible to others, before post_save)."""
    user = UserWithoutProfileFactory() if kind == "for_user" else None

    def win() -> Profile:
        after_insert.arm()
        if user is None:
            return User.objects.create_user("newcomer").profile  # type: ignore[no-any-return]
        with transaction.atomic():
            profile = Profile.for_user(fresh(user))
            transaction.set_rollback(roll_back)
            return profile

    winner = Worker(win)
    after_insert.wait_reached()
    return winner, user or User.objects.get(username="newcomer")


@pytest.mark.parametrize("kind", WINNERS)
@pytest.mark.parametrize("isolation", SEEING, indirect=True)
def test_for_user_waiting_for_an_uncommitted_profile_returns_it_once_committed(
    isolation: str, kind: str, pause_at: Callable[[ModelSignal, type[Any]], Pause]
) -> None:
    after_insert = pause_at(post_save, Profile)
    winner, user = start_winner(kind, after_insert)

    loser = Worker(lambda: for_user_in_atomic(user))
    loser.wait_until_blocked()
    after_insert.release()

    assert loser.result().pk == winner.result().pk == Profile.objects.get(user=user).pk


@pytest.mark.parametrize("kind", WINNERS)
@pytest.mark.parametrize("isolation", BLIND, indirect=True)
def test_for_user_waiting_for_an_uncommitted_profile_inside_a_snapshot_asks_for_a_retry(
    isolation: str, kind: str, pause_at: Callable[[ModelSignal, type[Any]], Pause]
) -> None:
    after_insert = pause_at(post_save, Profile)
    winner, user = start_winner(kind, after_insert)

    loser = Worker(lambda: for_user_in_atomic(user))
    loser.wait_until_blocked()
    after_insert.release()

    # signalkit's ProfileSerializationFailure, or at SERIALIZABLE PostgreSQL's own.
    with pytest.raises(OperationalError) as raised:
        loser.result()
    assert is_serialization_failure(raised.value), repr(raised.value)
    assert Profile.objects.get(user=user).pk == winner.result().pk


@pytest.mark.parametrize("kind", WINNERS)
@pytest.mark.parametrize("isolation", EVERY_LEVEL, indirect=True)
def test_for_user_in_autocommit_waiting_for_an_uncommitted_profile_returns_it(
    isolation: str, kind: str, pause_at: Callable[[ModelSignal, type[Any]], Pause]
) -> None:
    after_insert = pause_at(post_save, Profile)
    winner, user = start_winner(kind, after_insert)

    loser = Worker(lambda: for_user_in_autocommit(user))
    loser.wait_until_blocked()
    after_insert.release()

    assert loser.result().pk == winner.result().pk


@pytest.mark.parametrize("isolation", EVERY_LEVEL, indirect=True)
def test_for_user_waiting_for_a_profile_that_is_rolled_back_creates_its_own(
    isolation: str, pause_at: Callable[[ModelSignal, type[Any]], Pause]
) -> None:
    after_insert = pause_at(post_save, Profile)
    winner, user = start_winner("for_user", after_insert, roll_back=True)

    loser = Worker(lambda: for_user_in_atomic(user))
    loser.wait_until_blocked()
    after_insert.release()
    winner.result()

    assert loser.result().pk == Profile.objects.get(user=user).pk


# --- a new user's receiver against for_user ---------------------------------------------------


@pytest.mark.parametrize("isolation", EVERY_LEVEL, indirect=True)
def test_a_new_user_whose_profile_for_user_created_first_gets_that_profile(
    isolation: str, pause_at: Callable[[ModelSignal, type[Any]], Pause]
) -> None:
    # In autocommit the user is committed before post_save: for_user() can see it at once.
    before_insert = pause_at(pre_save, Profile)

    def sign_up() -> User:
        before_insert.arm()
        return User.objects.create_user("newcomer")

    creator = Worker(sign_up)
    before_insert.wait_reached()
    first = Profile.for_user(User.objects.get(username="newcomer"))
    before_insert.release()
    user = creator.result()

    assert user.profile.pk == first.pk  # type: ignore[attr-defined]
    assert Profile.objects.filter(user=user).count() == 1


# --- backfill against for_user and new users --------------------------------------------------


@pytest.mark.parametrize("isolation", EVERY_LEVEL, indirect=True)
def test_backfill_skips_a_profile_for_user_created_after_its_select(isolation: str) -> None:
    users = UserWithoutProfileFactory.create_batch(3)
    before_insert = Pause()

    def backfill() -> int:
        with before_insert.around_profile_insert(after=False):
            return Profile.backfill()

    backfiller = Worker(backfill)
    before_insert.wait_reached()
    raced = Profile.for_user(fresh(users[1]))
    before_insert.release()

    assert backfiller.result() == 2
    assert Profile.objects.count() == 3
    assert Profile.objects.get(user=users[1]).pk == raced.pk


@pytest.mark.parametrize("isolation", SEEING, indirect=True)
def test_backfill_inside_atomic_skips_a_profile_created_after_its_snapshot(
    isolation: str,
) -> None:
    users = UserWithoutProfileFactory.create_batch(3)
    before_insert = Pause()

    def backfill() -> int:
        with transaction.atomic(), before_insert.around_profile_insert(after=False):
            return Profile.backfill()

    backfiller = Worker(backfill)
    before_insert.wait_reached()
    Profile.for_user(fresh(users[1]))
    before_insert.release()

    assert backfiller.result() == 2
    assert Profile.objects.count() == 3


@pytest.mark.parametrize("isolation", BLIND, indirect=True)
def test_backfill_inside_a_snapshot_that_misses_a_new_profile_asks_for_a_retry(
    isolation: str,
) -> None:
    users = UserWithoutProfileFactory.create_batch(3)
    before_insert = Pause()

    def backfill() -> int:
        with transaction.atomic(), before_insert.around_profile_insert(after=False):
            return Profile.backfill()

    backfiller = Worker(backfill)
    before_insert.wait_reached()
    Profile.for_user(fresh(users[1]))
    before_insert.release()

    with pytest.raises(ProfileSerializationFailure, match=r"^shop\.Profile\.backfill\(\): "):
        backfiller.result()
    assert Profile.objects.count() == 1  # the backfill rolled back with its transaction


@pytest.mark.parametrize("isolation", EVERY_LEVEL, indirect=True)
def test_for_user_waiting_for_backfills_uncommitted_batch_returns_its_profile(
    isolation: str,
) -> None:
    users = UserWithoutProfileFactory.create_batch(3)
    after_insert = Pause()

    def backfill() -> int:
        with after_insert.around_profile_insert(after=True):
            return Profile.backfill()

    backfiller = Worker(backfill)
    after_insert.wait_reached()

    getter = Worker(lambda: for_user_in_autocommit(users[2]))
    getter.wait_until_blocked()
    after_insert.release()

    assert backfiller.result() == 3
    assert getter.result().pk == Profile.objects.get(user=users[2]).pk


@pytest.mark.parametrize("isolation", EVERY_LEVEL, indirect=True)
def test_backfill_in_autocommit_runs_a_batch_the_database_aborted_for_a_deadlock_again(
    isolation: str,
    pause_at: Callable[[ModelSignal, type[Any]], Pause],
    caplog: pytest.LogCaptureFixture,
) -> None:
    first, second = UserWithoutProfileFactory.create_batch(2)  # one batch of two
    after_insert = pause_at(post_save, Profile)

    def cross() -> list[Profile] | OperationalError:
        try:
            with transaction.atomic():
                after_insert.arm()
                profiles = [Profile.for_user(fresh(second))]  # pauses holding second's row
                profiles.append(Profile.for_user(fresh(first)))  # waits for backfill's row
                return profiles
        except OperationalError as exc:  # the database chose the crosser: its error to retry
            return exc

    def backfill() -> int:
        note_session()
        return Profile.backfill(batch_size=2)

    crosser = Worker(cross)
    after_insert.wait_reached()
    backfiller = Worker(backfill)
    backfiller.wait_until_blocked()  # inserted first's profile, waits for second's
    caplog.set_level(logging.INFO, logger="signalkit.mixins.profiles")
    after_insert.release()  # the crosser waits for first's: a deadlock, one of them loses

    created = backfiller.result()  # never the loser: it ran its batch again
    crossed = crosser.result()
    if isinstance(crossed, OperationalError):
        assert is_transaction_conflict(crossed), repr(crossed)
        crossed = []
    assert Profile.objects.count() == 2
    assert created == 2 - len(crossed)
    assert ("running it again, attempt 2 of 4" in caplog.text) == (created == 0)


@pytest.mark.parametrize("isolation", EVERY_LEVEL, indirect=True)
def test_a_new_user_whose_profile_backfill_created_first_gets_that_profile(
    isolation: str, pause_at: Callable[[ModelSignal, type[Any]], Pause]
) -> None:
    before_insert = pause_at(pre_save, Profile)

    def sign_up() -> User:
        before_insert.arm()
        return User.objects.create_user("newcomer")

    creator = Worker(sign_up)
    before_insert.wait_reached()
    created = Profile.backfill()
    before_insert.release()
    user = creator.result()

    assert created == 1
    assert user.profile.pk == Profile.objects.get(user=user).pk  # type: ignore[attr-defined]


@pytest.mark.parametrize("isolation", EVERY_LEVEL, indirect=True)
def test_backfill_never_sees_a_user_created_in_a_transaction_not_yet_committed(
    isolation: str, pause_at: Callable[[ModelSignal, type[Any]], Pause]
) -> None:
    after_profile = pause_at(post_save, User)  # connected after signalkit's receiver

    def sign_up() -> User:
        after_profile.arm()
        with transaction.atomic():
            return User.objects.create_user("newcomer")

    creator = Worker(sign_up)
    after_profile.wait_reached()
    created = Profile.backfill()
    after_profile.release()
    user = creator.result()

    assert created == 0
    assert Profile.objects.filter(user=user).count() == 1


# --- many threads at once (these were the PostgreSQL-only tests of test_profiles.py) ---------


def in_threads(count: int, work: Callable[[int], object]) -> list[BaseException]:
    """Run ``work(i)`` in ``count`` threads released together; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=DEADLINE)
            work(index)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.server_database
def test_two_threads_creating_users_at_once_give_each_user_exactly_one_profile() -> None:
    def create_users(index: int) -> None:
        for n in range(20):
            User.objects.create_user(f"t{index}-{n}")

    errors = in_threads(2, create_users)

    assert errors == []
    assert User.objects.count() == 40
    assert Profile.objects.count() == 40
    assert not Profile.users_without_profile().exists()


@pytest.mark.server_database
def test_threads_racing_to_create_one_shop_profile_all_get_that_profile() -> None:
    users = UserWithoutProfileFactory.create_batch(10)
    found: dict[int, set[int]] = {user.pk: set() for user in users}

    def get_profiles(index: int) -> None:
        for user in users:
            found[user.pk].add(Profile.for_user(fresh(user)).pk)

    errors = in_threads(4, get_profiles)

    assert errors == []
    assert all(len(pks) == 1 for pks in found.values())
    assert Profile.objects.count() == 10


@pytest.mark.server_database
def test_backfill_racing_with_for_user_creates_each_profile_once_without_error() -> None:
    users = UserWithoutProfileFactory.create_batch(300)
    created: list[int] = []

    def work(index: int) -> None:
        if index == 0:
            created.append(Profile.backfill(batch_size=25))
        else:
            for user in users[index::3]:
                Profile.for_user(fresh(user))

    errors = in_threads(4, work)

    assert errors == []
    assert Profile.objects.count() == 300
    assert 0 < created[0] <= 300


# --- the randomized stress test ---------------------------------------------------------------

OPERATIONS = (
    "create",
    "create in atomic",
    "bulk create",
    "for_user",
    "for_user in atomic",
    "backfill",
    "backfill in atomic",
)


@dataclass
class Stress:
    """Threads doing random profile work on one database; what each call returned or raised."""

    alias: str
    name: str
    seed: int
    threads: int = 8
    operations: int = 30
    users: list[int] = field(default_factory=list)
    returned: list[tuple[int, int]] = field(default_factory=list)  # (user pk, profile pk)
    errors: list[tuple[str, BaseException]] = field(default_factory=list)
    done: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        barrier = threading.Barrier(self.threads)

        def thread(index: int) -> None:
            rng = random.Random(self.seed * 1000 + index)
            try:
                barrier.wait(timeout=DEADLINE)
                for step in range(self.operations):
                    operation = rng.choice(OPERATIONS)
                    try:
                        self.do(operation, rng, f"s{index}-{step}")
                    except Exception as exc:
                        with self.lock:
                            self.errors.append((operation, exc))
                    else:
                        with self.lock:
                            self.done[operation] += 1
            finally:
                connections[self.alias].close()

        workers = [threading.Thread(target=thread, args=(i,)) for i in range(self.threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=300)
        assert not any(worker.is_alive() for worker in workers), "a stress thread hung"

    def do(self, operation: str, rng: random.Random, name: str) -> None:
        users = User.objects.db_manager(self.alias)
        if operation == "bulk create":
            made = users.bulk_create([User(username=f"{name}-{n}") for n in range(3)])
            self.remember(*(u.pk for u in made))
            return
        if operation.startswith("create"):
            with self.atomic_if(operation):
                user = users.create_user(name)
            self.remember(user.pk)
            self.returned_profile(user.pk, user.profile.pk)  # type: ignore[attr-defined]
            return
        if operation.startswith("backfill"):
            with self.atomic_if(operation):
                Profile.backfill(batch_size=rng.randint(1, 5), using=self.alias)
            return
        with self.lock:
            recent = self.users[-6:]
        if not recent:
            return
        pk = rng.choice(recent)
        with self.atomic_if(operation):
            profile = Profile.for_user(users.get(pk=pk))
        self.returned_profile(pk, profile.pk)

    def atomic_if(self, operation: str) -> AbstractContextManager[None]:
        return self.snapshot() if operation.endswith("in atomic") else nullcontext()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with transaction.atomic(using=self.alias):
            # A first read: the snapshot of REPEATABLE READ / SERIALIZABLE starts here.
            User.objects.using(self.alias).exists()
            yield

    def remember(self, *pks: int) -> None:
        with self.lock:
            self.users.extend(pks)

    def returned_profile(self, user: int, profile: int) -> None:
        with self.lock:
            self.returned.append((user, profile))

    def summary(self) -> str:
        refused = Counter(f"{op}: {type(exc).__name__}" for op, exc in self.errors)
        return (
            f"{self.name}: {sum(self.done.values()) + len(self.errors)} operations "
            f"({self.threads} threads, seed {self.seed}), {len(self.errors)} refused "
            f"{dict(sorted(refused.items()))}, {len(self.users)} users"
        )


def is_serialization_failure(error: BaseException) -> bool:
    """signalkit's, or the database's own (SQLSTATE 40001)."""
    return isinstance(error, ProfileSerializationFailure) or (
        isinstance(error, OperationalError)
        and getattr(error.__cause__, "sqlstate", None) == "40001"
    )


def is_transaction_conflict(error: BaseException) -> bool:
    """A deadlock (PostgreSQL 40P01, MariaDB 1213) or a serialization failure."""
    cause = error.__cause__
    return is_serialization_failure(error) or (
        isinstance(error, OperationalError)
        and (
            getattr(cause, "sqlstate", None) == "40P01"
            or getattr(cause, "args", (None,))[:1] == (1213,)
        )
    )


def is_deadlock_in_atomic(operation: str, error: BaseException) -> bool:
    # Rows written inside one transaction can wait on each other in a cycle: the database
    # ends one of those transactions, whoever wrote the rows. backfill() in autocommit runs
    # a batch again; inside atomic() the transaction is the caller's to retry.
    return operation.endswith("in atomic") and is_transaction_conflict(error)


#: What each database may refuse a call with (the contract in the module docstring of
#: signalkit.mixins.profiles); everything else, IntegrityError first, is a bug.
DOCUMENTED: dict[tuple[str, str], Callable[[str, BaseException], bool]] = {
    ("postgresql", "read committed"): is_deadlock_in_atomic,
    ("postgresql", "repeatable read"): lambda operation, error: (
        isinstance(error, ProfileSerializationFailure) or is_deadlock_in_atomic(operation, error)
    ),
    # At SERIALIZABLE PostgreSQL may end any transaction, bulk_create()'s of users included.
    ("postgresql", "serializable"): lambda operation, error: (
        is_serialization_failure(error) or is_deadlock_in_atomic(operation, error)
    ),
    ("mysql", "repeatable read"): is_deadlock_in_atomic,
    ("mysql", "read committed"): is_deadlock_in_atomic,
    # DEFERRED: a transaction that read before another one wrote cannot write.
    ("sqlite", "DEFERRED"): lambda operation, error: (
        operation.endswith("in atomic")
        and isinstance(error, OperationalError)
        and "database is locked" in str(error)
    ),
    ("sqlite", "IMMEDIATE"): lambda operation, error: False,
}

STRESS_ALIAS = "profiles_stress"


@pytest.fixture(scope="module")
def sqlite_file(
    tmp_path_factory: pytest.TempPathFactory, django_db_setup: None, django_db_blocker: Any
) -> Iterator[str]:
    """A migrated SQLite file as an extra database alias, for threads with connections of
    their own (the in-memory test database is one connection shared by every thread).
    Module-scoped, so it exists before pytest-django sets up the test that names it; after
    the test databases are set up, so that they do not include it."""
    raw = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path_factory.mktemp("profiles") / "stress.sqlite3"),
        "OPTIONS": {"timeout": DEADLINE},
    }
    connections.settings[STRESS_ALIAS] = connections.configure_settings(
        {"default": {}, STRESS_ALIAS: raw}
    )[STRESS_ALIAS]
    try:
        with django_db_blocker.unblock():
            call_command("migrate", database=STRESS_ALIAS, verbosity=0)
        yield STRESS_ALIAS
    finally:
        connections[STRESS_ALIAS].close()
        del connections[STRESS_ALIAS]
        del connections.settings[STRESS_ALIAS]


@contextmanager
def transaction_mode(alias: str, mode: str) -> Iterator[None]:
    """Every connection to ``alias`` opened meanwhile begins its transactions so."""
    options = connections[alias].settings_dict["OPTIONS"]
    options["transaction_mode"] = mode
    connections[alias].close()
    try:
        yield
    finally:
        del options["transaction_mode"]
        connections[alias].close()


def check_stress(stress: Stress, documented: Callable[[str, BaseException], bool]) -> None:
    """Run it; then each user has one profile, and every call returned that profile or was
    refused with a documented error."""
    stress.run()
    Profile.backfill(using=stress.alias)  # the users bulk_create() gave none

    profiles = dict(Profile.objects.using(stress.alias).values_list("user_id", "pk"))
    users = set(User.objects.using(stress.alias).values_list("pk", flat=True))
    summary = stress.summary()
    print(summary)
    undocumented = [f"{op}: {exc!r}" for op, exc in stress.errors if not documented(op, exc)]
    assert undocumented == [], summary
    assert Profile.objects.using(stress.alias).count() == len(profiles) == len(users), summary
    assert set(profiles) == users, summary
    assert [(u, p) for u, p in stress.returned if profiles[u] != p] == [], summary


@pytest.mark.parametrize("isolation", EVERY_LEVEL, indirect=True)
def test_random_concurrent_work_leaves_one_profile_per_user_and_every_call_returned_it(
    isolation: str,
) -> None:
    stress = Stress("default", f"{connection.vendor} {isolation}", random.randrange(10**6))

    check_stress(stress, DOCUMENTED[connection.vendor, isolation])


@pytest.mark.parametrize("mode", ["DEFERRED", "IMMEDIATE"])
@pytest.mark.django_db(transaction=True, databases=["default", STRESS_ALIAS])
def test_random_concurrent_work_on_a_sqlite_file_leaves_one_profile_per_user(
    sqlite_file: str, mode: str
) -> None:
    stress = Stress(sqlite_file, f"sqlite {mode}", random.randrange(10**6))

    with transaction_mode(sqlite_file, mode):
        check_stress(stress, DOCUMENTED["sqlite", mode])
