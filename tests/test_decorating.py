"""``signalkit.decorating``: a ``start() -> state`` / ``stop(state)`` pair as a decorator."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction

from signalkit import decorating


class Activity:
    """A start/stop pair that logs what happens, and whether it is active."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.active = 0
        self.starts = 0

    def start(self) -> int:
        self.starts += 1
        self.active += 1
        self.log.append(f"start {self.starts}")
        return self.starts

    def stop(self, state: int) -> None:
        self.active -= 1
        self.log.append(f"stop {state}")

    def note(self, what: str) -> None:
        self.log.append(f"{what} ({'active' if self.active else 'inactive'})")

    def decorate(self, target: Any) -> Any:
        return decorating.decorate(target, self.start, self.stop, name="activity()")


@pytest.fixture
def activity() -> Activity:
    return Activity()


# --- decorate -------------------------------------------------------------------------------


def test_a_decorated_function_runs_between_start_and_stop(activity: Activity) -> None:
    @activity.decorate
    def body(a: int, b: int = 0) -> int:
        activity.note("body")
        return a + b

    assert body(1, b=2) == 3
    assert activity.log == ["start 1", "body (active)", "stop 1"]


def test_stop_runs_when_the_function_raises_and_the_exception_propagates(
    activity: Activity,
) -> None:
    @activity.decorate
    def body() -> None:
        raise LookupError("from the body")

    with pytest.raises(LookupError, match="from the body"):
        body()

    assert activity.log == ["start 1", "stop 1"]


def test_each_call_starts_and_stops_once_with_its_own_state(activity: Activity) -> None:
    @activity.decorate
    def body() -> None:
        pass

    body()
    body()

    assert activity.log == ["start 1", "stop 1", "start 2", "stop 2"]


def test_the_wrapper_keeps_the_functions_name_docstring_and_wrapped(activity: Activity) -> None:
    def body() -> None:
        """The docstring."""

    wrapper = activity.decorate(body)

    assert (wrapper.__name__, wrapper.__doc__, wrapper.__wrapped__) == (
        "body",
        "The docstring.",
        body,
    )


def test_a_decorated_coroutine_function_stays_one_and_is_active_while_it_runs(
    activity: Activity,
) -> None:
    @activity.decorate
    async def body() -> str:
        await asyncio.sleep(0)
        activity.note("body")
        return "done"

    coroutine = body()
    activity.note("created")

    assert iscoroutinefunction(body)
    assert asyncio.run(coroutine) == "done"
    assert activity.log == ["created (inactive)", "start 1", "body (active)", "stop 1"]


def test_a_decorated_generator_is_active_only_while_its_body_runs(activity: Activity) -> None:
    @activity.decorate
    def body() -> Iterator[int]:
        activity.note("first")
        yield 1
        activity.note("second")
        yield 2

    generator = body()
    activity.note("created")
    for _ in generator:
        activity.note("consumer")

    assert inspect.isgeneratorfunction(body)
    assert activity.log == [
        "created (inactive)",
        "start 1",
        "first (active)",
        "stop 1",
        "consumer (inactive)",
        "start 2",
        "second (active)",
        "stop 2",
        "consumer (inactive)",
        "start 3",
        "stop 3",
    ]


def test_a_decorated_generator_receives_what_is_sent_and_returns_its_value(
    activity: Activity,
) -> None:
    @activity.decorate
    def body() -> Iterator[int]:
        received = yield 1
        return received * 10

    def delegate() -> Iterator[int]:
        return (yield from body())

    generator = delegate()
    next(generator)
    with pytest.raises(StopIteration) as finished:
        generator.send(4)

    assert finished.value.value == 40


def test_a_decorated_generator_closed_early_runs_its_cleanup_active(activity: Activity) -> None:
    @activity.decorate
    def body() -> Iterator[None]:
        try:
            yield
        finally:
            activity.note("cleanup")

    generator = body()
    next(generator)
    generator.close()

    assert activity.log == ["start 1", "stop 1", "start 2", "cleanup (active)", "stop 2"]


def test_an_exception_thrown_into_a_decorated_generator_is_handled_by_its_body_active(
    activity: Activity,
) -> None:
    @activity.decorate
    def body() -> Iterator[str]:
        try:
            yield "waiting"
        except LookupError as exc:
            activity.note(f"caught {exc}")
            yield "recovered"

    generator = body()
    next(generator)

    assert generator.throw(LookupError("thrown")) == "recovered"
    assert activity.log == ["start 1", "stop 1", "start 2", "caught thrown (active)", "stop 2"]


def test_a_decorated_async_generator_is_active_only_while_its_body_runs(
    activity: Activity,
) -> None:
    @activity.decorate
    async def body() -> AsyncIterator[int]:
        activity.note("body")
        yield 1

    async def consume() -> None:
        async for _ in body():
            activity.note("consumer")

    asyncio.run(consume())

    assert inspect.isasyncgenfunction(body)
    assert activity.log == [
        "start 1",
        "body (active)",
        "stop 1",
        "consumer (inactive)",
        "start 2",
        "stop 2",
    ]


def test_a_decorated_async_generator_closed_early_runs_its_cleanup_active(
    activity: Activity,
) -> None:
    @activity.decorate
    async def body() -> AsyncIterator[None]:
        try:
            yield
        finally:
            activity.note("cleanup")

    async def close_early() -> None:
        generator = body()
        await generator.__anext__()
        await generator.aclose()

    asyncio.run(close_early())

    assert activity.log == ["start 1", "stop 1", "start 2", "cleanup (active)", "stop 2"]


@pytest.mark.parametrize("target", [42, "body", None, type("Plain", (), {})])
def test_decorating_what_is_not_a_function_is_a_type_error_naming_it(
    activity: Activity, target: object
) -> None:
    with pytest.raises(TypeError, match=r"^activity\(\) decorates functions, coroutine") as error:
        activity.decorate(target)

    assert str(error.value).endswith(f", not {target!r}.")


# --- decorate_passing -----------------------------------------------------------------------


class PerCall(Activity):
    """An activity that hands each call a new value: the number of the call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def begin(self) -> tuple[str, Callable[[], int], Callable[[int], None]]:
        self.calls += 1
        return f"value {self.calls}", self.start, self.stop

    def decorate(self, target: Any) -> Any:
        return decorating.decorate_passing(target, self.begin, name="activity()", passes="a value")


@pytest.fixture
def per_call() -> PerCall:
    return PerCall()


def test_the_value_is_passed_after_the_calls_own_positional_arguments(per_call: PerCall) -> None:
    @per_call.decorate
    def body(*args: object, **kwargs: object) -> tuple[tuple[object, ...], dict[str, object]]:
        return args, kwargs

    assert body(1, 2, key=3) == ((1, 2, "value 1"), {"key": 3})


def test_each_call_gets_a_new_value(per_call: PerCall) -> None:
    @per_call.decorate
    def body(value: str) -> str:
        return value

    assert [body(), body()] == ["value 1", "value 2"]


def test_a_generator_gets_one_value_per_call_however_often_it_resumes(per_call: PerCall) -> None:
    @per_call.decorate
    def body(value: str) -> Iterator[str]:
        yield value
        yield value

    assert list(body()) == ["value 1", "value 1"]
    assert per_call.starts == 3  # active three times, for one value


def test_a_coroutine_function_gets_the_value_and_stays_a_coroutine_function(
    per_call: PerCall,
) -> None:
    @per_call.decorate
    async def body(value: str) -> str:
        return value

    assert iscoroutinefunction(body)
    assert asyncio.run(body()) == "value 1"


def test_the_signature_leaves_out_the_first_parameter_the_value_fills(per_call: PerCall) -> None:
    @per_call.decorate
    def test_x(value: str, db: object, *, flag: bool = False) -> None: ...

    assert str(inspect.signature(test_x)) == "(db: 'object', *, flag: 'bool' = False) -> 'None'"


def test_in_a_class_body_the_signature_leaves_out_the_parameter_after_self(
    per_call: PerCall,
) -> None:
    class TestShop:
        @per_call.decorate
        def test_x(self, value: str, fixture: object) -> None: ...

    assert list(inspect.signature(TestShop.test_x).parameters) == ["self", "fixture"]


def test_a_function_taking_star_args_keeps_its_signature(per_call: PerCall) -> None:
    def body(*args: object) -> None: ...

    assert inspect.signature(per_call.decorate(body)) == inspect.signature(body)


@pytest.mark.parametrize(
    "body",
    [lambda: None, lambda *, value: None, lambda **kwargs: None],
    ids=["no parameter", "keyword-only", "only **kwargs"],
)
def test_a_function_without_a_positional_parameter_for_the_value_is_refused_naming_it(
    per_call: PerCall, body: Callable[..., None]
) -> None:
    with pytest.raises(
        TypeError,
        match=r"activity\(\) passes a value to .*<lambda>\(\) as an extra positional argument",
    ):
        per_call.decorate(body)


def test_a_partial_is_decorated_like_a_function(per_call: PerCall) -> None:
    def body(prefix: str, value: str) -> str:
        return prefix + value

    assert per_call.decorate(functools.partial(body, "got "))() == "got value 1"
