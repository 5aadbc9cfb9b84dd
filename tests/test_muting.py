from __future__ import annotations

import asyncio
import gc
import inspect
import threading
import unittest
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar
from typing import Any

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.contrib.auth.models import User
from django.db import connection
from django.db.models.signals import ModelSignal, post_save, pre_delete
from django.dispatch import Signal
from django.test import Client, TestCase, override_settings
from django.test.utils import CaptureQueriesContext

from signalkit import ALL, gate, muted_signals
from tests.factories import CommentFactory, PostFactory, UserFactory
from tests.registry_app.models import StaffUser
from tests.shop.models import Comment, Profile


class Ear:
    """Receivers that write down what they heard; keeps them alive for weak connects."""

    def __init__(self) -> None:
        self.heard: list[str] = []
        self._alive: dict[str, Callable[..., None]] = {}

    def __getitem__(self, name: str) -> Callable[..., None]:
        if name not in self._alive:

            def receive(sender: object, **kwargs: Any) -> None:
                self.heard.append(name)

            self._alive[name] = receive
        return self._alive[name]

    def hear(self, signal: Signal, sender: object = None) -> list[str]:
        """Send ``signal`` and return what was heard, forgetting it afterwards."""
        signal.send(sender=sender)
        heard, self.heard = self.heard, []
        return heard


@pytest.fixture
def ear() -> Ear:
    return Ear()


@pytest.fixture
def signal(ear: Ear) -> Signal:
    signal = Signal()
    signal.connect(ear["a"])
    return signal


@pytest.fixture(autouse=True)
def _no_mute_outlives_its_test() -> Iterator[None]:
    yield
    assert not gate.is_installed(), "a mute or recorder was left active"


# --- what swapping signal.receivers gets wrong --------------------------------------


def test_a_muted_signal_calls_no_receiver(signal: Signal, ear: Ear) -> None:
    with muted_signals(signal):
        assert ear.hear(signal) == []


def test_a_muted_send_returns_no_responses(signal: Signal) -> None:
    with muted_signals(signal):
        assert signal.send(sender=None) == []
        assert signal.send_robust(sender=None) == []


def test_receivers_run_again_after_the_mute(signal: Signal, ear: Ear) -> None:
    with muted_signals(signal):
        pass

    assert ear.hear(signal) == ["a"]


def test_a_receiver_disconnected_during_a_mute_stays_disconnected(signal: Signal, ear: Ear) -> None:
    with muted_signals(signal):
        signal.disconnect(ear["a"])

    assert ear.hear(signal) == []


def test_a_receiver_connected_during_a_mute_is_muted_then_runs(signal: Signal, ear: Ear) -> None:
    with muted_signals(signal):
        signal.connect(ear["b"])
        assert ear.hear(signal) == []

    assert ear.hear(signal) == ["a", "b"]


def test_connecting_again_during_a_mute_still_respects_dispatch_uid(ear: Ear) -> None:
    signal = Signal()
    signal.connect(ear["a"], dispatch_uid="only-once")
    with muted_signals(signal):
        signal.connect(ear["a"], dispatch_uid="only-once")

    assert ear.hear(signal) == ["a"]


def test_naming_a_signal_twice_loses_no_receiver(signal: Signal, ear: Ear) -> None:
    with muted_signals(signal, signal):
        pass

    assert ear.hear(signal) == ["a"]


def test_one_mute_object_can_be_entered_again_while_active(signal: Signal, ear: Ear) -> None:
    mute = muted_signals(signal)
    with mute:
        with mute:
            assert ear.hear(signal) == []
        assert ear.hear(signal) == []

    assert ear.hear(signal) == ["a"]


def test_has_listeners_is_false_while_muted_and_true_after(signal: Signal) -> None:
    with muted_signals(signal):
        assert signal.has_listeners() is False

    assert signal.has_listeners() is True


def test_the_sender_cache_is_fresh_after_a_mute(ear: Ear) -> None:
    signal = ModelSignal(use_caching=True)
    signal.connect(ear["a"], sender=User)
    assert ear.hear(signal, User) == ["a"]  # fills Django's per-sender cache
    with muted_signals(signal):
        signal.connect(ear["b"], sender=User)

    assert ear.hear(signal, User) == ["a", "b"]


def test_an_exception_in_the_block_ends_the_mute(signal: Signal, ear: Ear) -> None:
    with pytest.raises(RuntimeError), muted_signals(signal):
        raise RuntimeError("test failed")

    assert ear.hear(signal) == ["a"]


def test_receivers_keep_their_order_after_a_mute(ear: Ear) -> None:
    signal = Signal()
    for name in "cab":
        signal.connect(ear[name])
    with muted_signals(signal):
        pass

    assert ear.hear(signal) == ["c", "a", "b"]


def test_mutes_may_end_in_any_order(ear: Ear) -> None:
    first, second = Signal(), Signal()
    first.connect(ear["first"])
    second.connect(ear["second"])
    outer, inner = muted_signals(first), muted_signals(second)

    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)
    assert (ear.hear(first), ear.hear(second)) == (["first"], [])
    inner.__exit__(None, None, None)

    assert ear.hear(second) == ["second"]


def test_a_weak_receiver_that_dies_during_a_mute_is_gone_after_it(signal: Signal) -> None:
    heard = []

    def short_lived(sender: object, **kwargs: Any) -> None:
        heard.append("short-lived")

    signal.connect(short_lived)
    with muted_signals(signal):
        del short_lived
        gc.collect()

    signal.send(sender=None)
    assert heard == []


def test_disconnecting_by_sender_and_by_dispatch_uid_during_a_mute_holds(ear: Ear) -> None:
    signal = Signal()
    signal.connect(ear["by-sender"], sender=User)
    signal.connect(ear["by-uid"], dispatch_uid="uid")
    with muted_signals(signal):
        assert signal.disconnect(ear["by-sender"], sender=User)
        assert signal.disconnect(dispatch_uid="uid")

    assert ear.hear(signal, User) == []


def test_nothing_is_left_on_the_signal_class_after_the_last_mute(signal: Signal) -> None:
    with muted_signals(signal):
        assert gate.is_installed()

    assert not gate.is_installed()


# --- which sends: senders, receivers, ALL ------------------------------------------


def test_senders_mutes_only_sends_from_those_senders(ear: Ear) -> None:
    signal = ModelSignal()
    signal.connect(ear["a"])
    with muted_signals(signal, senders=[User]):
        assert ear.hear(signal, User) == []
        assert ear.hear(signal, Profile) == ["a"]


def test_senders_accepts_model_labels(ear: Ear) -> None:
    signal = ModelSignal()
    signal.connect(ear["a"])
    with muted_signals(signal, senders=["auth.User"]):
        assert ear.hear(signal, User) == []


def test_a_proxy_model_is_a_sender_of_its_own(ear: Ear) -> None:
    signal = ModelSignal()
    signal.connect(ear["a"])
    with muted_signals(signal, senders=[User]):
        assert ear.hear(signal, StaffUser) == ["a"]


def test_senders_accepts_any_object(ear: Ear) -> None:
    service = object()
    signal = Signal()
    signal.connect(ear["a"])
    with muted_signals(signal, senders=[service]):
        assert (ear.hear(signal, service), ear.hear(signal, "other")) == ([], ["a"])


def test_receivers_mutes_only_those_receivers(ear: Ear) -> None:
    signal = Signal()
    for name in "abc":
        signal.connect(ear[name])
    with muted_signals(signal, receivers=[ear["b"]]):
        assert ear.hear(signal) == ["a", "c"]


def test_muting_some_receivers_keeps_send_robusts_logging(
    ear: Ear, caplog: pytest.LogCaptureFixture
) -> None:
    signal = Signal()

    def broken(sender: object, **kwargs: Any) -> None:
        raise ValueError("broken receiver")

    signal.connect(broken)
    signal.connect(ear["muted"])
    with muted_signals(signal, receivers=[ear["muted"]]):
        [(receiver, error)] = signal.send_robust(sender=None)

    assert (receiver, type(error)) == (broken, ValueError)
    assert "broken receiver" in caplog.text


def test_has_listeners_is_false_when_every_remaining_receiver_is_muted(ear: Ear) -> None:
    signal = Signal()
    signal.connect(ear["a"])
    with muted_signals(signal, receivers=[ear["a"]]):
        assert signal.has_listeners() is False


@pytest.mark.django_db
def test_muting_the_profile_receiver_creates_no_profile() -> None:
    with muted_signals(post_save, receivers=[Profile.auto_create_receiver]):
        user = User.objects.create_user("quiet")

    assert not Profile.objects.filter(user=user).exists()


def test_all_mutes_every_signal(ear: Ear) -> None:
    signal = Signal()
    signal.connect(ear["a"])
    with muted_signals(ALL):
        assert ear.hear(signal) == []


def test_no_signals_means_all(signal: Signal, ear: Ear) -> None:
    with muted_signals():
        assert ear.hear(signal) == []


def test_all_leaves_the_signals_named_in_except_alone(signal: Signal, ear: Ear) -> None:
    with muted_signals(ALL, except_=[signal]):
        assert ear.hear(signal) == ["a"]


@override_settings(ROOT_URLCONF="tests.muting_urls")
def test_under_all_the_test_client_still_reraises_view_exceptions() -> None:
    with muted_signals(ALL), pytest.raises(ValueError, match="boom"):
        Client().get("/boom/")


@override_settings(ROOT_URLCONF="tests.muting_urls")
def test_under_all_templates_used_are_still_recorded() -> None:
    with muted_signals(ALL):
        response = Client().get("/page/")

    assert [t.name for t in response.templates] == ["muting/page.html"]


def test_all_mutes_an_infrastructure_signal_only_when_named(ear: Ear) -> None:
    from django.test.signals import template_rendered

    template_rendered.connect(ear["rendered"])
    try:
        with muted_signals(ALL):
            assert ear.hear(template_rendered) == ["rendered"]
        with muted_signals(ALL, template_rendered):
            assert ear.hear(template_rendered) == []
    finally:
        template_rendered.disconnect(ear["rendered"])


@pytest.mark.django_db
def test_a_muted_cascade_delete_runs_the_queries_of_one_without_receivers() -> None:
    def deleting_a_post() -> int:
        post = PostFactory.create()
        CommentFactory.create_batch(3, post=post)
        with CaptureQueriesContext(connection) as queries:
            post.delete()
        return len(queries)

    without_receivers = deleting_a_post()

    def on_delete(sender: object, **kwargs: Any) -> None:
        pass

    pre_delete.connect(on_delete, sender=Comment)
    try:
        with_receivers = deleting_a_post()
        with muted_signals(pre_delete):
            muted = deleting_a_post()
    finally:
        pre_delete.disconnect(on_delete, sender=Comment)

    assert muted == without_receivers < with_receivers


# --- scope ------------------------------------------------------------------------------


def test_a_global_mute_reaches_other_threads(signal: Signal, ear: Ear) -> None:
    with muted_signals(signal):
        heard = _in_thread(lambda: ear.hear(signal))

    assert heard == []


def test_a_context_mute_leaves_other_threads_alone(signal: Signal, ear: Ear) -> None:
    with muted_signals(signal, scope="context"):
        assert ear.hear(signal) == []
        heard = _in_thread(lambda: ear.hear(signal))

    assert heard == ["a"]


def test_a_context_mute_leaves_other_asyncio_tasks_alone(signal: Signal, ear: Ear) -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def muted_task() -> list[str]:
        with muted_signals(signal, scope="context"):
            started.set()
            await finished.wait()
            return ear.hear(signal)

    async def other_task() -> list[str]:
        await started.wait()
        heard = ear.hear(signal)
        finished.set()
        return heard

    async def both() -> list[list[str]]:
        return list(await asyncio.gather(muted_task(), other_task()))

    assert asyncio.run(both()) == [[], ["a"]]


def _in_thread(function: Callable[[], list[str]]) -> list[str]:
    result: list[list[str]] = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join()
    return result[0]


# --- async sends --------------------------------------------------------------------


needs_asend = pytest.mark.skipif(
    not hasattr(Signal, "asend"), reason="Signal.asend() exists from Django 5.0 on"
)


@needs_asend
def test_asend_and_asend_robust_are_muted_too(signal: Signal, ear: Ear) -> None:
    async def send_both() -> tuple[Any, Any]:
        return await signal.asend(sender=None), await signal.asend_robust(sender=None)

    with muted_signals(signal):
        assert asyncio.run(send_both()) == ([], [])
    assert ear.heard == []


@needs_asend
def test_asend_skips_only_the_muted_receivers(ear: Ear) -> None:
    signal = Signal()
    signal.connect(ear["a"])
    signal.connect(ear["b"])
    with muted_signals(signal, receivers=[ear["a"]]):
        asyncio.run(signal.asend(sender=None))

    assert ear.heard == ["b"]


# --- as a decorator ----------------------------------------------------------------------


def test_a_decorated_function_is_muted_while_it_runs(signal: Signal, ear: Ear) -> None:
    @muted_signals(signal)
    def body() -> list[str]:
        return ear.hear(signal)

    assert body() == []
    assert ear.hear(signal) == ["a"]


def test_a_decorated_coroutine_function_stays_a_coroutine_function_and_is_muted(
    signal: Signal, ear: Ear
) -> None:
    @muted_signals(signal)
    async def body() -> list[str]:
        await asyncio.sleep(0)
        return ear.hear(signal)

    assert iscoroutinefunction(body)
    assert asyncio.run(body()) == []


def test_a_decorated_coroutine_run_twice_at_once_is_muted_in_both(signal: Signal, ear: Ear) -> None:
    @muted_signals(signal)
    async def body(delay: float) -> list[str]:
        await asyncio.sleep(delay)
        return ear.hear(signal)

    async def both() -> list[list[str]]:
        return list(await asyncio.gather(body(0.01), body(0)))

    assert asyncio.run(both()) == [[], []]
    assert ear.hear(signal) == ["a"]


def test_a_decorated_generator_is_muted_while_its_body_runs_only(signal: Signal, ear: Ear) -> None:
    @muted_signals(signal)
    def body() -> Iterator[list[str]]:
        yield ear.hear(signal)
        yield ear.hear(signal)

    generator = body()
    heard_inside = next(generator)
    heard_between = ear.hear(signal)
    heard_inside += next(generator)

    assert (heard_inside, heard_between) == ([], ["a"])


def test_a_decorated_generator_closed_early_runs_its_cleanup_muted(
    signal: Signal, ear: Ear
) -> None:
    cleanup: list[list[str]] = []

    @muted_signals(signal)
    def fixture_like() -> Iterator[None]:
        try:
            yield
        finally:
            cleanup.append(ear.hear(signal))

    generator = fixture_like()
    next(generator)
    generator.close()

    assert cleanup == [[]]


def test_a_decorated_generator_returns_its_value(signal: Signal) -> None:
    @muted_signals(signal)
    def body() -> Iterator[int]:
        yield 1
        return 2

    generator = body()
    next(generator)
    with pytest.raises(StopIteration) as stop:
        next(generator)

    assert stop.value.value == 2


def test_a_decorated_async_generator_is_muted_while_its_body_runs(signal: Signal, ear: Ear) -> None:
    @muted_signals(signal)
    async def body() -> AsyncIterator[list[str]]:
        yield ear.hear(signal)

    async def consume() -> list[list[str]]:
        return [heard async for heard in body()]

    assert asyncio.run(consume()) == [[]]


def test_a_decorated_test_case_class_is_still_that_class_and_muted_from_set_up_test_data(
    ear: Ear,
) -> None:
    signal = Signal()
    signal.connect(ear["a"])
    heard: dict[str, list[str]] = {}

    @muted_signals(signal)
    class Case(unittest.TestCase):
        @classmethod
        def setUpClass(cls) -> None:
            heard["setUpClass"] = ear.hear(signal)

        def test_body(self) -> None:
            heard["test"] = ear.hear(signal)

    result = unittest.TestResult()
    unittest.TestSuite([Case("test_body")]).run(result)

    assert issubclass(Case, unittest.TestCase)
    assert result.wasSuccessful(), result.errors + result.failures
    assert heard == {"setUpClass": [], "test": []}
    assert ear.hear(signal) == ["a"]


@pytest.mark.django_db
def test_a_decorated_django_test_case_covers_set_up_test_data(ear: Ear) -> None:
    signal = Signal()
    signal.connect(ear["a"])
    heard: list[list[str]] = []

    @muted_signals(signal)
    class Case(TestCase):
        @classmethod
        def setUpTestData(cls) -> None:
            heard.append(ear.hear(signal))

        def test_body(self) -> None:
            heard.append(ear.hear(signal))

    result = unittest.TestResult()
    unittest.TestSuite([Case("test_body")]).run(result)

    assert result.wasSuccessful(), result.errors + result.failures
    assert heard == [[], []]


def test_a_test_case_whose_set_up_class_fails_ends_its_mute(signal: Signal, ear: Ear) -> None:
    @muted_signals(signal)
    class Case(unittest.TestCase):
        @classmethod
        def setUpClass(cls) -> None:
            raise RuntimeError("broken setUpClass")

        def test_body(self) -> None:
            pass

    unittest.TestSuite([Case("test_body")]).run(unittest.TestResult())

    assert ear.hear(signal) == ["a"]


def test_a_decorated_plain_class_mutes_its_test_methods(signal: Signal, ear: Ear) -> None:
    @muted_signals(signal)
    class TestPlain:
        def test_body(self) -> list[str]:
            return ear.hear(signal)

        def helper(self) -> list[str]:
            return ear.hear(signal)

    assert (TestPlain().test_body(), TestPlain().helper()) == ([], ["a"])


@pytest.mark.django_db
def test_a_decorated_factory_creates_without_its_receivers() -> None:
    @muted_signals(post_save)
    class QuietUserFactory(UserFactory):
        pass

    user = QuietUserFactory.create()

    assert not Profile.objects.filter(user=user).exists()
    assert isinstance(QuietUserFactory, type)


@pytest.mark.django_db
def test_a_decorated_factory_mutes_its_sub_factories() -> None:
    @muted_signals(post_save, receivers=[Profile.auto_create_receiver])
    class QuietCommentFactory(CommentFactory):
        pass

    comment = QuietCommentFactory.create()

    assert not Profile.objects.filter(user=comment.post.author).exists()


@pytest.mark.django_db
def test_a_decorated_factory_leaves_other_factories_alone() -> None:
    @muted_signals(post_save)
    class QuietUserFactory(UserFactory):
        pass

    user = UserFactory.create()

    assert Profile.objects.filter(user=user).exists()


# --- bad arguments ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (("post_save",), TypeError, "takes Signal objects or signalkit.ALL, not 'post_save'"),
        ((post_save,), ValueError, "except_=...\\) only applies to ALL"),
    ],
    ids=["not-a-signal", "except-without-all"],
)
def test_bad_signals_are_rejected_naming_them(
    arguments: tuple[Any, ...], error: type[Exception], message: str
) -> None:
    options = {"except_": [post_save]} if error is ValueError else {}
    with pytest.raises(error, match=message):
        muted_signals(*arguments, **options)


def test_a_bare_string_for_senders_is_rejected_with_the_fix() -> None:
    with pytest.raises(TypeError, match=r"write senders=\['auth.User'\]"):
        muted_signals(post_save, senders="auth.User")


def test_a_sender_label_that_is_not_app_dot_model_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"'app_label\.ModelName' labels, not 'User'"):
        muted_signals(post_save, senders=["User"])


def test_an_unknown_model_label_is_rejected_when_the_mute_starts() -> None:
    mute = muted_signals(post_save, senders=["shop.Nope"])

    with pytest.raises(ValueError, match=r"no installed model is labelled 'shop\.Nope'"), mute:
        pass


def test_an_unknown_model_label_is_rejected_naming_the_closest_labels() -> None:
    mute = muted_signals(post_save, senders=["shop.Prodcut"])

    with pytest.raises(ValueError, match=r"'shop\.Prodcut' \(did you mean 'shop\.Product'"), mute:
        pass


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sender": User}, "argument 'sender': did you mean senders=[User]?"),
        ({"sender": "auth.User"}, "argument 'sender': did you mean senders=['auth.User']?"),
        ({"sender": [User, Profile]}, "argument 'sender': did you mean senders=[User, Profile]?"),
        (
            {"receiver": Profile.auto_create_receiver},
            "argument 'receiver': did you mean receivers=[auto_create_receiver]?",
        ),
        ({"scop": "context"}, "argument 'scop': did you mean scope='context'?"),
        ({"excepts": [post_save]}, "argument 'excepts': did you mean except_=[post_save]?"),
        (
            {"sender_model": User},
            "argument 'sender_model': did you mean senders=[User]?",
        ),
        (
            {"quietly": True},
            "argument 'quietly'; it takes senders=, receivers=, except_= and scope=.",
        ),
    ],
    ids=["sender", "sender-label", "sender-list", "receiver", "scop", "excepts", "close", "none"],
)
def test_a_keyword_muted_signals_does_not_take_is_refused_with_the_one_meant(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError) as error:
        muted_signals(post_save, **options)

    assert str(error.value) == f"muted_signals() got an unexpected keyword {message}"


def test_refusing_unknown_keywords_leaves_the_signature_of_muted_signals_whole() -> None:
    parameters = inspect.signature(muted_signals).parameters

    assert list(parameters) == ["signals", "senders", "receivers", "except_", "scope"]


def test_a_receiver_that_is_not_callable_is_rejected() -> None:
    with pytest.raises(TypeError, match="takes receivers \\(callables\\), not 'create_profile'"):
        muted_signals(post_save, receivers=["create_profile"])


def test_an_unknown_scope_is_rejected() -> None:
    with pytest.raises(ValueError, match="is 'global' or 'context', not 'thread'"):
        muted_signals(post_save, scope="thread")  # type: ignore[arg-type]


def test_decorating_something_else_is_rejected() -> None:
    with pytest.raises(TypeError, match="decorates functions"):
        muted_signals(post_save)(42)  # type: ignore[call-overload]


def test_a_muted_receiver_that_dies_does_not_mute_a_newcomer_with_its_id(ear: Ear) -> None:
    # Django knows receivers by an id()-based key, and CPython hands a collected function's
    # memory, so its id(), to the next function created.
    signal = Signal()

    def make(name: str) -> Callable[..., None]:
        def receive(sender: object, **kwargs: Any) -> None:
            ear.heard.append(name)

        return receive

    doomed = make("doomed")
    muted_id = id(doomed)
    with muted_signals(signal, receivers=[doomed]):
        del doomed
        gc.collect()
        newcomers = [make("newcomer") for _ in range(100)]
        [heir] = [newcomer for newcomer in newcomers if id(newcomer) == muted_id]
        signal.connect(heir)

        assert ear.hear(signal) == ["newcomer"]


@pytest.mark.parametrize(
    ("except_", "message"),
    [
        ("post_save", r"not the string 'post_save': pass the signal itself"),
        (post_save, r"not one signal \(django\.db\.models\.signals\.post_save\): "),
        (5, r"takes a list of Signal objects, not 5\."),
        ([post_save, "pre_save"], r"takes Signal objects, not 'pre_save'\."),
    ],
    ids=["a-string", "a-single-signal", "a-number", "a-string-in-the-list"],
)
def test_a_bad_except_is_rejected_naming_it(except_: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        muted_signals(ALL, except_=except_)


def test_a_single_signal_for_except_is_refused_with_the_fix() -> None:
    with pytest.raises(TypeError, match=r"write except_=\[post_save\]"):
        muted_signals(ALL, except_=post_save)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"senders": 5}, r"muted_signals\(senders=\.\.\.\) takes a list, not 5; write senders="),
        ({"senders": User}, r"takes a list, not <class 'django\.contrib\.auth\.models\.User'>"),
        ({"receivers": 5}, r"takes a list of receivers \(callables\), not 5\."),
        ({"receivers": "create_profile"}, r"receivers \(callables\), not 'create_profile'\."),
    ],
    ids=["senders-a-number", "senders-a-model", "receivers-a-number", "receivers-a-string"],
)
def test_a_senders_or_receivers_that_is_not_a_list_is_rejected_naming_it(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        muted_signals(post_save, **options)


def test_a_single_receiver_is_refused_with_the_fix() -> None:
    with pytest.raises(TypeError, match=r"takes a list, not <function .*write receivers=\["):
        muted_signals(post_save, receivers=Profile.auto_create_receiver)  # type: ignore[arg-type]


def test_a_list_of_signals_passed_positionally_is_refused_with_the_fix() -> None:
    with pytest.raises(TypeError, match=r"pass the signals as separate arguments"):
        muted_signals([post_save, pre_delete])  # type: ignore[arg-type]


PROBE: ContextVar[str | None] = ContextVar("signalkit_test_probe", default=None)


async def set_probe(sender: object, **kwargs: Any) -> None:
    PROBE.set("set by a receiver")


async def leave_probe(sender: object, **kwargs: Any) -> None:
    pass


@pytest.mark.parametrize("robust", [False, True], ids=["asend", "asend_robust"])
def test_a_partly_muted_asend_hands_context_changes_back_as_djangos_asend_does(
    robust: bool,
) -> None:
    signal = Signal()
    signal.connect(set_probe)
    signal.connect(leave_probe)

    async def send(muting: AbstractContextManager[object]) -> str | None:
        PROBE.set(None)
        with muting:
            await (signal.asend_robust if robust else signal.asend)(sender=None)
        return PROBE.get()

    django_s = async_to_sync(send)(nullcontext())
    partly_muted = async_to_sync(send)(muted_signals(receivers=[leave_probe]))

    assert partly_muted == django_s  # "set by a receiver" on Django 6.1+, None before


def test_a_partly_muted_send_of_a_signal_without_receivers_returns_no_responses_like_djangos(
    probe: Signal,
) -> None:
    def receiver(sender: object, **kwargs: Any) -> None:
        pass

    with muted_signals(probe, receivers=[receiver]):
        responses = probe.send(sender=None)

    assert responses == []
