from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import ModelSignal
from django.dispatch import Signal

from signalkit import discovery, registry
from tests.services import skip_tests_needing_another_server
from tests.workers import redis_db, worker_database, workers  # noqa: F401  engine test fixtures


def pytest_configure(config: pytest.Config) -> None:
    # Many tests check that nothing is left on the send gate; --signal-durations keeps an
    # observer of every signal on it for the whole run, so they would all fail.
    if config.getoption("signal_durations", None) is not None:
        raise pytest.UsageError(
            "signalkit's own suite checks that each test leaves the send gate empty, which "
            "--signal-durations prevents (it observes every send for the whole run): use the "
            "option on your project's suite; tests/test_pytest_plugin.py tests it here."
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    skip_tests_needing_another_server(items)


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> Signal:
    """A model signal of the test's own, known to the inspector as tests.probe."""
    monkeypatch.setattr(discovery, "_registered", {})
    return registry.register_signal(ModelSignal(use_caching=True), "tests.probe")


@pytest.fixture
def connect(probe: Signal) -> Iterator[Callable[..., None]]:
    """``connect(receiver, **connect_kwargs)`` on the probe signal, disconnected after."""
    connected: list[tuple[Any, dict[str, Any]]] = []

    def connect_(receiver: Any, **kwargs: Any) -> None:
        probe.connect(receiver, **kwargs)
        connected.append((receiver, kwargs))

    yield connect_
    for receiver, kwargs in connected:
        probe.disconnect(
            receiver, sender=kwargs.get("sender"), dispatch_uid=kwargs.get("dispatch_uid")
        )


@pytest.fixture
def pending_cleanup() -> Iterator[None]:
    """Forget the lazy-sender connections a test leaves waiting in the app registry."""
    before = {key: list(operations) for key, operations in apps._pending_operations.items()}
    yield
    apps._pending_operations.clear()
    apps._pending_operations.update(before)


DEAD_RECEIVER_UID = "tests-dead-receiver"


@pytest.fixture
def dead_receiver() -> Iterator[None]:
    """A closure connected weakly to user_login_failed and then garbage collected."""

    def make_receiver() -> Callable[..., None]:
        calls: list[object] = []

        def closure(sender: object, **kwargs: Any) -> None:
            calls.append(sender)

        return closure

    receiver = make_receiver()
    user_login_failed.connect(receiver, dispatch_uid=DEAD_RECEIVER_UID)
    del receiver
    gc.collect()
    assert any(not r.alive for r in registry.snapshot().receivers)
    yield
    user_login_failed.disconnect(dispatch_uid=DEAD_RECEIVER_UID)  # also clears the dead entry


@pytest.fixture
def calls() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """What the deferred receivers of tests.deferred_receivers were called with, in order."""
    from tests import deferred_receivers

    deferred_receivers.calls.clear()
    yield deferred_receivers.calls
    deferred_receivers.calls.clear()


@pytest.fixture
def dummy_backend() -> Iterator[Any]:
    """The "dummy" task backend (a DummyBackend), empty at the start of the test."""
    from signalkit._compat import tasks_framework

    backend = tasks_framework().task_backends["dummy"]
    backend.clear()
    yield backend
    backend.clear()


@pytest.fixture
def other_database() -> Iterator[str]:
    """A second alias, "other", on the test database: its own connection, so its own
    transactions. Made for the test only (a configured one would show in every listing of
    the databases), as Django makes connections dynamically: not in ``connections.settings``."""
    from django.db import connections
    from django.db.utils import load_backend

    default = connections["default"].settings_dict
    other = load_backend(default["ENGINE"]).DatabaseWrapper({**default}, "other")
    connections._connections.other = other
    yield "other"
    other.close()
    if other.connection is not None:  # SQLite keeps a connection to a memory database open
        other.connection.close()
    delattr(connections._connections, "other")
