"""Every branch on the Django version (5.2, 6.0, 6.1), and nothing else.

The rest of signalkit imports these names and reads as if there were one Django.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import django

#: Django 6.0 keeps a weak reference to the sender in each ``Signal.receivers`` entry,
#: ``(lookup_key, receiver_ref, sender_ref, is_async)``; 5.2 keeps only ``id(sender)`` in
#: the lookup key: ``(lookup_key, receiver_ref, is_async)``.
RECEIVERS_HOLD_SENDER_REF = django.VERSION >= (6, 0)

#: Django 6.1 runs ``asend()``'s sync receivers first, then the async ones in one shared
#: context whose changes reach the caller (``_run_parallel``); 5.2 and 6.0 run both groups
#: at once under ``asyncio.gather`` (each in a copied context, changes lost).
ASYNC_RECEIVERS_SHARE_CONTEXT = django.VERSION >= (6, 1)


async def run_parallel(*coroutines: Awaitable[Any]) -> list[Any]:
    """Run receiver coroutines concurrently the way this Django's dispatcher does."""
    if ASYNC_RECEIVERS_SHARE_CONTEXT:
        from django.dispatch.dispatcher import _run_parallel  # type: ignore[attr-defined]

        return list(await _run_parallel(*coroutines))
    return list(await asyncio.gather(*coroutines))
