"""signalkit's pytest plugin: the ``signal_recorder`` fixture and the ``muted_signals`` marker.

pytest loads it through the ``pytest11`` entry point ``signalkit`` in every run of an
environment where signalkit is installed (disable it with ``-p no:signalkit``). It imports
nothing from Django until a test uses the fixture or the marker, so it costs nothing in
projects that do not use Django.

Fixture::

    def test_confirming_sends_order_confirmed(signal_recorder, order):
        order.confirm()
        signal_recorder.assert_sent_once(order_confirmed, sender=Order, order=order)

Marker (the arguments of :func:`signalkit.muted_signals`; no arguments mutes ``ALL``)::

    @pytest.mark.muted_signals(post_save, senders=[User])
    def test_a_user_without_a_profile(user):
        assert not Profile.objects.filter(user=user).exists()

The marker works on a test function, a class (``@pytest.mark.muted_signals(...)`` on it)
and a module (``pytestmark = pytest.mark.muted_signals(...)``); several markers that
apply to one test all mute. The mute is entered before the test's first function-scoped
fixture is set up (by an autouse fixture of this plugin, which pytest sets up before
the fixtures of conftest files and test modules) and left after the last one is torn
down, so fixtures that create objects run muted too. Fixtures of a wider scope (class,
module, session) are shared with tests that are not marked, so they never run muted,
even when a marked test happens to be the first to need one (for example the test
database pytest-django creates for the first test that uses it): the mute is
suspended while such a fixture is set up. Unittest ``TestCase`` classes are covered
from ``setUp`` to ``tearDown``; decorate the class with :func:`signalkit.muted_signals`
to cover ``setUpClass`` and ``setUpTestData`` too.

Option ``--signal-durations=N`` (like ``--durations``): at the end of the run, print the
``N`` signal receivers with the most total time (0: all), with their calls, slowest call
and queries. Given, it adds an observer of every signal to the send gate before the first
test is set up (Django is set up by then) and removes it when the session finishes; not
given, it installs nothing. The numbers are per process (each pytest-xdist worker adds up
its own tests and prints nothing the controller shows).
"""

from __future__ import annotations

import argparse
from collections.abc import Generator, Iterator
from contextlib import AbstractContextManager, ExitStack
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from signalkit._durations import ReceiverDurations
    from signalkit.recording import SignalRecorder

__all__ = ["signal_recorder"]

MARKER = "muted_signals"
MARKER_HELP = (
    "muted_signals(*signals, senders=None, receivers=None, except_=None, scope='global'): "
    "mute Django signals while the test and its function-scoped fixtures run, with the "
    "arguments of signalkit.muted_signals (no signals: ALL, every signal but Django's "
    "infrastructure ones)."
)


class _MarkerMute:
    """The mutes of one marked test: entered, suspended around wider fixtures, left."""

    def __init__(self, mutes: list[AbstractContextManager[Any]]) -> None:
        self.mutes = mutes
        self._stack: ExitStack | None = None

    def enter(self) -> None:
        with ExitStack() as stack:
            for mute in self.mutes:
                stack.enter_context(mute)
            self._stack = stack.pop_all()

    def leave(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()

    @property
    def active(self) -> bool:
        return self._stack is not None


_ACTIVE = pytest.StashKey[_MarkerMute]()


DURATIONS_OPTION = "--signal-durations"


def _receiver_count(value: str) -> int:
    """The value of ``--signal-durations``: a number of receivers, 0 or more."""
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(
            f"expected the number of receivers to list, 0 or more (0: all), not {value!r}"
        )
    return number


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("signalkit").addoption(
        DURATIONS_OPTION,
        dest="signal_durations",
        metavar="N",
        type=_receiver_count,
        default=None,
        help="at the end of the run, show the N signal receivers with the most total time, "
        "with their calls, slowest call and queries (N=0 for all).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    if config.getoption("signal_durations") is not None:
        config.pluginmanager.register(_SignalDurations(config), "signalkit-signal-durations")


class _SignalDurations:
    """The plugin of ``--signal-durations``, registered only when the option is given."""

    def __init__(self, config: pytest.Config) -> None:
        self.number: int = config.getoption("signal_durations")
        self.durations: ReceiverDurations | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Start adding up at the first test whose set-up finds Django ready (the gate
        and the registry need its apps)."""
        if self.durations is not None:
            return
        from django.apps import apps

        if not apps.ready:
            return
        from signalkit._durations import ReceiverDurations

        durations = ReceiverDurations()
        durations.start()
        self.durations = durations

    def pytest_sessionfinish(self) -> None:
        if self.durations is not None:
            self.durations.stop()

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        header = "slowest signal receivers"
        if self.number:
            header = f"slowest {self.number} signal receivers"
        terminalreporter.write_sep("=", header)
        if self.durations is None:
            terminalreporter.write_line("Django was not set up: no signal receiver was observed.")
            return
        for line in self.durations.report(self.number):
            terminalreporter.write_line(line)


@pytest.fixture
def signal_recorder() -> Iterator[SignalRecorder]:
    """Record every signal sent from this fixture's set-up to the end of the test.

    Yields a :class:`signalkit.SignalRecorder`; muted sends and sends without receivers
    are recorded too. It records from the moment pytest sets it up: name it before the
    test's other fixtures to record what they send as well, after them to leave it out.
    Example::

        def test_signing_up_creates_one_user(client, signal_recorder):
            client.post("/signup/", {"username": "ada", "password": "..."})
            signal_recorder.assert_sent_once(post_save, sender=User, created=True)
    """
    from signalkit.recording import record_signals

    with record_signals() as recorder:
        yield recorder


@pytest.fixture(autouse=True)
def _signalkit_muted_signals_marker(request: pytest.FixtureRequest) -> Iterator[None]:
    """Mute what the test's ``muted_signals`` markers say, for the test and its fixtures."""
    markers = list(request.node.iter_markers(MARKER))
    if not markers:
        yield
        return
    marker_mute = _MarkerMute(
        [_mute_from_marker(request.node.nodeid, marker) for marker in markers]
    )
    error: Exception | None = None
    try:
        marker_mute.enter()
    except (TypeError, ValueError, LookupError) as exc:
        error = exc  # failed outside the except: no "During handling ..." chain printed
    if error is not None:
        _fail(request.node.nodeid, error)
    request.config.stash[_ACTIVE] = marker_mute
    try:
        yield
    finally:
        del request.config.stash[_ACTIVE]
        marker_mute.leave()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    """Suspend a marker's mute while a fixture of a wider scope than the test is set up."""
    marker_mute = request.config.stash.get(_ACTIVE, None)
    if marker_mute is None or not marker_mute.active or fixturedef.scope == "function":
        return (yield)
    marker_mute.leave()
    try:
        return (yield)
    finally:
        marker_mute.enter()


def _mute_from_marker(nodeid: str, marker: pytest.Mark) -> AbstractContextManager[Any]:
    from signalkit.muting import muted_signals

    try:
        return muted_signals(*marker.args, **marker.kwargs)
    except (TypeError, ValueError, LookupError) as exc:
        error = exc  # failed outside the except: no "During handling ..." chain printed
    _fail(nodeid, error)


def _fail(nodeid: str, exc: Exception) -> NoReturn:
    __tracebackhide__ = True
    pytest.fail(
        f"{nodeid}: invalid @pytest.mark.{MARKER}(...): {exc}\n"
        f"The marker takes the arguments of signalkit.muted_signals: (*signals, "
        f"senders=None, receivers=None, except_=None, scope='global').",
        pytrace=False,
    )
