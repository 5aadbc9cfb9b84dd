from __future__ import annotations

import logging
from contextvars import Context

import django
import pytest
from asgiref.sync import async_to_sync
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished, request_started
from django.test import Client

from example_project.monitoring.signals import log_request_duration


def test_a_request_logs_its_duration(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="example_project.monitoring"):
        client.get("/orders/1/confirm/")  # 405: no database work, still a request

    [record] = [r for r in caplog.records if r.name == "example_project.monitoring"]
    assert record.levelno == logging.INFO
    assert record.getMessage().startswith("GET /orders/1/confirm/ took ")
    assert record.getMessage().endswith(" ms")


def test_a_finish_without_a_start_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="example_project.monitoring"):
        Context().run(log_request_duration, sender=None)  # a context no request started in

    assert [r for r in caplog.records if r.name == "example_project.monitoring"] == []


def asgi_request(path: str) -> None:
    """Send request_started and request_finished the way Django's ASGIHandler does."""

    async def handle() -> None:
        scope = {"type": "http", "method": "GET", "path": path}
        await request_started.asend(sender=ASGIHandler, scope=scope)
        await request_finished.asend(sender=ASGIHandler)

    async_to_sync(handle)()


# django_db: request_finished runs close_old_connections, which may touch the connection.
@pytest.mark.django_db
@pytest.mark.skipif(django.VERSION < (6, 1), reason="Django 6.1 shares the receivers' context")
def test_an_asgi_request_logs_its_duration_on_django_6_1(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="example_project.monitoring"):
        asgi_request("/asgi/")

    [record] = [r for r in caplog.records if r.name == "example_project.monitoring"]
    assert record.getMessage().startswith("GET /asgi/ took ")


@pytest.mark.django_db
@pytest.mark.skipif(django.VERSION >= (6, 1), reason="Django 6.1 shares the receivers' context")
def test_an_asgi_request_logs_nothing_before_django_6_1(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="example_project.monitoring"):
        asgi_request("/asgi/")

    assert [r for r in caplog.records if r.name == "example_project.monitoring"] == []
