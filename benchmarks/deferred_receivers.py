"""The receivers that ``deferred.request_latency`` connects to the demo's comments.

Imported only by that benchmark's child processes (see :mod:`benchmarks.deferred`): two
receivers with the same body, one plain (it runs in the request) and one ``@as_task`` (the
request only enqueues it). The body stands for the demo's comment e-mail: it sleeps
``SMTP_SECONDS``, a mail server's round trips.
"""

from __future__ import annotations

import time
from typing import Any

from signalkit import as_task

SMTP_SECONDS = 0.05

#: The pks of the comments "e-mailed" in this process, in order.
SENT: list[int] = []


def notify_inline(sender: Any, instance: Any, created: bool, raw: bool, **kwargs: Any) -> None:
    """The comment e-mail, run in the request."""
    if raw or not created:
        return
    send_mail_slowly(instance.pk)


@as_task
def notify_as_task(sender: Any, instance: Any, created: bool, raw: bool, **kwargs: Any) -> None:
    """The same, run by a task worker."""
    if raw or not created:
        return
    send_mail_slowly(instance.pk)


def send_mail_slowly(pk: int) -> None:
    SENT.append(pk)
    time.sleep(SMTP_SECONDS)
