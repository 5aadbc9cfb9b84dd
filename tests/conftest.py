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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    skip_tests_needing_another_server(items)


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> Signal:
    """A model signal of the test's own, known to the inspector as tests.probe."""
    monkeypatch.setattr(discovery, "_registered", {})
    return registry.register_signal(ModelSignal(use_caching=True), "tests.probe")


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
