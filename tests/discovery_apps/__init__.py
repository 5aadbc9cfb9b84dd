"""Apps that exercise every autodiscovery case; installed per test, never globally.

Each app's receivers are connected to ``ping`` and answer with their own name, so a test
sends ``ping`` and reads which receivers are connected, and how many times.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.dispatch import Signal

ping = Signal()


def connect_answer(name: str) -> Callable[..., str]:
    """Connect to ``ping`` a receiver answering ``name``; the caller's module keeps it alive."""

    def answer(sender: object, **kwargs: Any) -> str:
        return name

    ping.connect(answer)
    return answer
