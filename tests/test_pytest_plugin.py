"""The pytest plugin (entry point ``signalkit``): ``signal_recorder`` and ``muted_signals``.

Each test runs pytest in a subprocess on a small project written by pytester, the way a
project using signalkit runs its tests: the inner run configures Django itself from its
own ini file (``tests.settings`` of this repository, importable through PYTHONPATH).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parent.parent


def _entry_point_installed() -> bool:
    return any(
        entry_point.name == "signalkit" and entry_point.value == "signalkit.pytest_plugin"
        for entry_point in entry_points(group="pytest11")
    )


# Until the entry point is installed (pip install -e . after pyproject.toml declares it),
# the inner runs load the plugin by its module name; loading it both ways would fail.
PLUGIN = () if _entry_point_installed() else ("-p", "signalkit.pytest_plugin")

INI = """\
[pytest]
DJANGO_SETTINGS_MODULE = tests.settings
addopts = --strict-markers -p no:cacheprovider
filterwarnings = error
"""

# Receivers the inner tests listen with: each appends "<receiver>:<sender>" to HEARD.
SHOP_SIGNALS = """\
from __future__ import annotations

import threading

import pytest
from django.dispatch import Signal

ping = Signal()
pong = Signal()
HEARD: list[str] = []


class Till:
    pass


class Shop:
    pass


def first(sender, **kwargs):
    HEARD.append(f"first:{sender.__name__}")


def second(sender, **kwargs):
    HEARD.append(f"second:{sender.__name__}")


def ponged(sender, **kwargs):
    HEARD.append(f"ponged:{sender.__name__}")


ping.connect(first)
ping.connect(second)
pong.connect(ponged)


def send_from_another_thread(signal, sender):
    thread = threading.Thread(target=signal.send, kwargs={"sender": sender})
    thread.start()
    thread.join()
"""

CONFTEST = """\
import pytest

from shop_signals import HEARD


@pytest.fixture(autouse=True)
def heard():
    HEARD.clear()
    return HEARD
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester project whose inner runs configure Django with ``tests.settings``."""
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    )
    # The inner run must take its settings from its own ini file, not from this run, and
    # its own in-memory database: on PostgreSQL it would create and drop this run's.
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.delenv("SIGNALKIT_DATABASE_URL", raising=False)
    pytester.makeini(INI)
    pytester.makepyfile(shop_signals=SHOP_SIGNALS, conftest=CONFTEST)
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*PLUGIN, "-v", *args)


# --- signal_recorder -----------------------------------------------------------------------


def test_the_signal_recorder_fixture_records_every_signal_of_the_test(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_recorder="""
        import pytest
        from django.contrib.auth.models import User
        from django.db.models.signals import post_save

        from shop_signals import Till, ping, pong
        from signalkit import gate
        from tests.shop.models import Profile


        def test_records_custom_signals(signal_recorder):
            ping.send(sender=Till, amount=3)
            pong.send(sender=Till)

            signal_recorder.assert_sent_once(ping, sender=Till, amount=3)
            assert [call.signal for call in signal_recorder.calls] == [ping, pong]


        @pytest.mark.django_db
        def test_records_the_model_signals_of_creating_a_user(signal_recorder):
            user = User.objects.create_user("ada")

            signal_recorder.assert_sent_once(post_save, sender=User, instance=user, created=True)
            signal_recorder.assert_sent_once(post_save, sender=Profile, created=True)


        def test_a_failed_assertion_lists_what_was_recorded(signal_recorder):
            ping.send(sender=Till, amount=3)

            with pytest.raises(AssertionError, match=r"Recorded 1 send:\\n  .*amount=3"):
                signal_recorder.assert_sent(ping, amount=4)


        def test_recording_ends_with_the_test():
            assert not gate.is_installed()


        @pytest.fixture
        def pinged():
            ping.send(sender=Till, stage="fixture")


        def test_records_what_fixtures_named_after_it_send(signal_recorder, pinged):
            signal_recorder.assert_sent_once(ping, stage="fixture")


        def test_leaves_out_what_fixtures_named_before_it_send(pinged, signal_recorder):
            signal_recorder.assert_not_sent(ping)
        """
    )

    result = run(project)

    result.assert_outcomes(passed=6)


def test_a_failed_assertion_is_reported_at_the_tests_line_not_inside_signalkit(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_failing="""
        from django.test import SimpleTestCase

        from shop_signals import Shop, Till, ping, pong
        from signalkit import record_signals
        from signalkit.testing import SignalTestMixin


        def test_the_fixture(signal_recorder):
            ping.send(sender=Till)
            signal_recorder.assert_sent_once(ping, sender=Shop)


        def test_the_order():
            with record_signals(ping, pong) as rec:
                pong.send(sender=Till)
                ping.send(sender=Till)
            rec.assert_sent_in_order(ping, pong)


        class MixinTests(SignalTestMixin, SimpleTestCase):
            def test_the_mixin(self):
                with self.assertNumSignals(ping, 2):
                    ping.send(sender=Till)
        """
    )

    result = run(project)

    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            ">       signal_recorder.assert_sent_once(ping, sender=Shop)",
            "E       AssertionError: shop_signals.ping(sender=<class 'shop_signals.Shop'>) *",
            "test_failing.py:10: AssertionError",
            ">       rec.assert_sent_in_order(ping, pong)",
            "E       AssertionError: Not sent in this order: shop_signals.ping(), *",
            "test_failing.py:17: AssertionError",
            ">       with self.assertNumSignals(ping, 2):",
            "E       AssertionError: shop_signals.ping() was sent 1 time, not 2.",
            "test_failing.py:22: AssertionError",
        ],
        consecutive=False,
    )
    result.stdout.no_fnmatch_line("*signalkit/*")
    result.stdout.no_fnmatch_line("*contextlib*")


# --- the muted_signals marker ---------------------------------------------------------------


def test_the_marker_mutes_the_test_shops_profile_receiver_fixtures_included(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_profiles="""
        import pytest
        from django.contrib.auth.models import User
        from django.db.models.signals import post_save

        from tests.shop.models import Profile


        @pytest.fixture
        def ada(db):
            return User.objects.create_user("ada")


        @pytest.mark.muted_signals(post_save)
        @pytest.mark.django_db
        def test_a_user_created_in_the_test_gets_no_profile():
            user = User.objects.create_user("grace")

            assert not Profile.objects.filter(user=user).exists()


        @pytest.mark.muted_signals(post_save)
        def test_a_user_created_by_a_fixture_gets_no_profile(ada):
            assert not Profile.objects.filter(user=ada).exists()


        def test_without_the_marker_a_user_gets_a_profile(ada):
            assert Profile.objects.filter(user=ada).exists()
        """
    )

    result = run(project)

    result.assert_outcomes(passed=3)


def test_the_marker_takes_the_options_of_muted_signals(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_options="""
        import pytest

        from shop_signals import Shop, Till, first, ping, pong, send_from_another_thread
        from signalkit import ALL


        @pytest.mark.muted_signals(ping, senders=[Till])
        def test_senders_mutes_only_sends_from_those_senders(heard):
            ping.send(sender=Till)
            ping.send(sender=Shop)

            assert heard == ["first:Shop", "second:Shop"]


        @pytest.mark.muted_signals(ping, receivers=[first])
        def test_receivers_mutes_only_those_receivers(heard):
            ping.send(sender=Shop)

            assert heard == ["second:Shop"]


        @pytest.mark.muted_signals()
        def test_no_signals_mutes_all(heard):
            ping.send(sender=Shop)
            pong.send(sender=Shop)

            assert heard == []


        @pytest.mark.muted_signals(ALL, except_=[pong])
        def test_except_leaves_those_signals_alone(heard):
            ping.send(sender=Shop)
            pong.send(sender=Shop)

            assert heard == ["ponged:Shop"]


        @pytest.mark.muted_signals(ping, scope="context")
        def test_a_context_scope_mutes_this_thread_only(heard):
            ping.send(sender=Shop)
            send_from_another_thread(ping, Till)

            assert heard == ["first:Till", "second:Till"]


        def test_the_mute_ends_with_the_test(heard):
            ping.send(sender=Till)

            assert heard == ["first:Till", "second:Till"]
        """
    )

    result = run(project)

    result.assert_outcomes(passed=6)


def test_the_marker_on_a_class_a_test_case_or_a_module_mutes_each_of_its_tests(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_class="""
        import pytest

        from shop_signals import Shop, ping, pong


        @pytest.mark.muted_signals(ping)
        class TestMutedPing:
            def test_one(self, heard):
                ping.send(sender=Shop)
                assert heard == []

            def test_two(self, heard):
                ping.send(sender=Shop)
                assert heard == []

            @pytest.mark.muted_signals(pong)
            def test_a_marker_on_the_method_mutes_too(self, heard):
                ping.send(sender=Shop)
                pong.send(sender=Shop)
                assert heard == []


        def test_outside_the_class_ping_is_heard(heard):
            ping.send(sender=Shop)
            assert heard == ["first:Shop", "second:Shop"]
        """,
        test_module="""
        import pytest

        from shop_signals import Shop, ping

        pytestmark = pytest.mark.muted_signals(ping)


        def test_one(heard):
            ping.send(sender=Shop)
            assert heard == []


        def test_two(heard):
            ping.send(sender=Shop)
            assert heard == []
        """,
        test_unittest="""
        import unittest

        import pytest

        from shop_signals import HEARD, Shop, ping


        @pytest.mark.muted_signals(ping)
        class MutedTestCase(unittest.TestCase):
            def setUp(self):
                ping.send(sender=Shop)

            def test_set_up_and_the_test_run_muted(self):
                ping.send(sender=Shop)
                assert HEARD == []
        """,
    )

    result = run(project)

    result.assert_outcomes(passed=7)


def test_the_marker_covers_function_fixtures_but_not_wider_ones(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_fixtures="""
        import pytest

        from shop_signals import HEARD, Shop, Till, ping

        TORN_DOWN = []


        @pytest.fixture
        def pinged_in_setup_and_teardown():
            ping.send(sender=Till)
            yield list(HEARD)
            TORN_DOWN.append(len(HEARD))
            ping.send(sender=Till)
            TORN_DOWN.append(len(HEARD))


        @pytest.fixture(scope="module")
        def pinged_once_per_module():
            HEARD.clear()
            ping.send(sender=Shop)
            return list(HEARD)


        @pytest.fixture(scope="session")
        def pinged_once_per_session():
            HEARD.clear()
            ping.send(sender=Shop)
            return list(HEARD)


        @pytest.mark.muted_signals(ping)
        def test_a_function_fixture_runs_muted(pinged_in_setup_and_teardown):
            assert pinged_in_setup_and_teardown == []


        def test_its_teardown_ran_muted_too():
            assert TORN_DOWN[0] == TORN_DOWN[1]


        @pytest.mark.muted_signals(ping)
        def test_a_module_fixture_first_needed_by_a_marked_test_runs_unmuted(
            pinged_once_per_module, heard
        ):
            assert pinged_once_per_module == ["first:Shop", "second:Shop"]
            ping.send(sender=Shop)
            assert heard == []


        @pytest.mark.muted_signals(ping)
        def test_a_session_fixture_requested_inside_a_marked_test_runs_unmuted(request, heard):
            assert request.getfixturevalue("pinged_once_per_session") == [
                "first:Shop",
                "second:Shop",
            ]
            heard.clear()
            ping.send(sender=Shop)
            assert heard == []
        """
    )

    result = run(project)

    result.assert_outcomes(passed=4)


def test_a_bad_marker_errors_naming_the_bad_argument_without_a_traceback(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_bad="""
        import pytest

        from shop_signals import Till, ping


        @pytest.mark.muted_signals("post_save")
        def test_a_string_for_a_signal():
            pass


        @pytest.mark.muted_signals(ping, sender=Till)
        def test_sender_for_senders():
            pass


        @pytest.mark.muted_signals(ping, scope="thread")
        def test_an_unknown_scope():
            pass


        @pytest.mark.muted_signals(ping, senders=["shop.Prodcut"])
        def test_an_unknown_model_label():
            pass
        """
    )

    result = run(project)

    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines(
        [
            "*test_bad.py::test_a_string_for_a_signal: invalid @pytest.mark.muted_signals(...): "
            "muted_signals() takes Signal objects or signalkit.ALL, not 'post_save'.",
            "The marker takes the arguments of signalkit.muted_signals: *",
            "*test_bad.py::test_sender_for_senders: invalid @pytest.mark.muted_signals(...): "
            "muted_signals() got an unexpected keyword argument 'sender': "
            "did you mean senders=[[]Till]?",  # [[] is fnmatch for [
            "*test_bad.py::test_an_unknown_scope: invalid *not 'thread'.",
            "*test_bad.py::test_an_unknown_model_label: invalid *'shop.Prodcut' "
            "(did you mean 'shop.Product'*?).",
        ],
        consecutive=False,
    )
    result.stdout.no_fnmatch_line("*pytest_plugin.py*")
    result.stdout.no_fnmatch_line("*During handling of the above exception*")


def test_the_marker_is_registered_with_a_description(project: pytest.Pytester) -> None:
    result = run(project, "--markers")

    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["@pytest.mark.muted_signals(*signals, senders=None, receivers=None, except_=None, *"]
    )


# --- loading ---------------------------------------------------------------------------------


def test_pyproject_declares_the_pytest11_entry_point() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))

    entry_points_ = pyproject["project"].get("entry-points", {})
    assert entry_points_.get("pytest11") == {"signalkit": "signalkit.pytest_plugin"}


def test_pytest_loads_the_plugin_by_its_entry_point(project: pytest.Pytester) -> None:
    assert _entry_point_installed(), (
        "the pytest11 entry point 'signalkit' is not installed in this environment: "
        "reinstall signalkit (python -m pip install -e .)"
    )

    loaded = project.runpytest_subprocess("--markers")
    disabled = project.runpytest_subprocess("-p", "no:signalkit", "--markers")

    loaded.stdout.fnmatch_lines(["@pytest.mark.muted_signals(*"])
    disabled.stdout.no_fnmatch_line("@pytest.mark.muted_signals(*")


def test_importing_the_plugin_imports_no_django() -> None:
    code = (
        "import signalkit.pytest_plugin, sys; "
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "assert not loaded, loaded"
    )

    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )

    assert completed.returncode == 0, completed.stderr


def test_a_pytest_run_without_django_never_imports_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    pytester.makepyfile(
        test_plain="""
        import sys

        import pytest


        def test_a_plain_test_runs_without_django():
            assert not [m for m in sys.modules if m == "django" or m.startswith("django.")]


        class TestPlain:
            def test_a_method_too(self):
                assert "django" not in sys.modules
        """
    )

    result = pytester.runpytest_subprocess(*PLUGIN, "-p", "no:django", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)


# --- --signal-durations ------------------------------------------------------------------------

# Receivers whose run "takes" what they add to a fake clock, which the inner run's
# ReceiverDurations reads instead of time.perf_counter: the order and the numbers of the
# report are exact.
TIMED_SIGNALS = """\
from __future__ import annotations

from django.dispatch import Signal


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


CLOCK = Clock()
rang = Signal()
hushed = Signal()


def slow(sender, **kwargs):
    CLOCK.now += 0.5


def quick(sender, **kwargs):
    CLOCK.now += 0.001


def querying(sender, **kwargs):
    from django.contrib.auth.models import User

    CLOCK.now += 0.02
    User.objects.count()
    User.objects.exists()


def never_heard(sender, **kwargs):
    CLOCK.now += 9


def heard(sender, **kwargs):
    CLOCK.now += 0.004


rang.connect(slow)
rang.connect(quick)
rang.connect(querying)
hushed.connect(never_heard)
hushed.connect(heard)
"""

TIMED_CONFTEST = """\
import pytest

import timed_signals


@pytest.fixture(scope="session", autouse=True)
def fake_clock():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("signalkit._durations.perf_counter", timed_signals.CLOCK)
        yield
"""

TIMED_TESTS = """\
import pytest

from timed_signals import hushed, never_heard, rang


@pytest.mark.django_db
def test_rings_twice():
    rang.send(sender=None)
    rang.send(sender=None)


@pytest.mark.django_db
def test_rings_once_more():
    rang.send(sender=None)


@pytest.mark.muted_signals(hushed, receivers=[never_heard])
def test_hushes():
    hushed.send(sender=None)
"""


@pytest.fixture
def timed(project: pytest.Pytester) -> pytest.Pytester:
    project.makepyfile(timed_signals=TIMED_SIGNALS, conftest=TIMED_CONFTEST, test_timed=TIMED_TESTS)
    return project


def test_signal_durations_lists_the_receivers_with_the_most_total_time_first(
    timed: pytest.Pytester,
) -> None:
    result = run(timed, "--signal-durations=4")

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "=*= slowest 4 signal receivers =*=",
            "    total   calls    slowest  queries  receiver (signal)",
            "   1.50 s       3   500.0 ms        0  timed_signals.slow (timed_signals.rang)",
            "  60.0 ms       3    20.0 ms        6  timed_signals.querying (timed_signals.rang)",
            "   4.0 ms       1     4.0 ms        0  timed_signals.heard (timed_signals.hushed)",
            "   3.0 ms       3     1.0 ms        0  timed_signals.quick (timed_signals.rang)",
            "=*",
        ]
    )


def test_signal_durations_lists_that_many_receivers(timed: pytest.Pytester) -> None:
    result = run(timed, "--signal-durations=1")

    result.stdout.fnmatch_lines(
        [
            "=*= slowest 1 signal receivers =*=",
            "    total   calls    slowest  queries  receiver (signal)",
            "*timed_signals.slow (timed_signals.rang)",
            "=*",
        ]
    )
    result.stdout.no_fnmatch_line("*timed_signals.querying*")


def test_signal_durations_of_zero_lists_every_receiver_that_ran(timed: pytest.Pytester) -> None:
    result = run(timed, "--signal-durations=0")

    result.stdout.fnmatch_lines(
        [
            "=*= slowest signal receivers =*=",
            "*timed_signals.slow (timed_signals.rang)",
            "*timed_signals.querying (timed_signals.rang)",
            "*timed_signals.heard (timed_signals.hushed)",
            "*timed_signals.quick (timed_signals.rang)",
            # Django's own receivers, which ran while the test database was created
            "*django.contrib.contenttypes.management.create_contenttypes "
            "(django.db.models.signals.post_migrate)",
        ],
        consecutive=False,
    )


def test_signal_durations_leaves_muted_receivers_out(timed: pytest.Pytester) -> None:
    result = run(timed, "--signal-durations=0")

    result.stdout.fnmatch_lines(["*timed_signals.heard (timed_signals.hushed)"])
    result.stdout.no_fnmatch_line("*never_heard*")


def test_without_signal_durations_nothing_is_installed_or_printed(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_gate="""
        from django.dispatch import Signal

        from signalkit import gate


        def test_the_gate_is_installed_only_with_the_option(request):
            with_option = request.config.getoption("signal_durations", None) is not None

            assert gate.is_installed() is with_option
            assert (Signal.send is gate._DJANGO["send"]) is not with_option
        """
    )

    with_option = run(project, "--signal-durations=3")
    without = run(project)

    with_option.assert_outcomes(passed=1)
    with_option.stdout.fnmatch_lines(["=*= slowest 3 signal receivers =*="])
    without.assert_outcomes(passed=1)
    without.stdout.no_fnmatch_line("*signal receivers*")


@pytest.mark.parametrize("value", ["-1", "many", "1.5"])
def test_a_bad_signal_durations_value_is_a_usage_error_naming_it(
    project: pytest.Pytester, value: str
) -> None:
    result = run(project, f"--signal-durations={value}")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*error: argument --signal-durations: expected the number of receivers to list, "
            f"0 or more (0: all), not '{value}'"
        ]
    )
