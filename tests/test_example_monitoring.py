from __future__ import annotations

import logging
from contextvars import Context

import pytest
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
