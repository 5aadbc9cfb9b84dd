"""signalkit: make Django signals visible, testable and safe.

Add ``"signalkit"`` to ``INSTALLED_APPS`` and every installed app's ``signals.py`` is
imported once at start-up. Public names are re-exported lazily, so ``import signalkit``
imports neither models nor the app registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from signalkit._exports import lazy_exports

__version__ = "0.1.0.dev0"

# public name -> module that defines it
_EXPORTS = {
    "ALL": "signalkit.muting",
    "AutodiscoveryError": "signalkit.discovery",
    "InsufficientStock": "signalkit.mixins.stock",
    "SignalCall": "signalkit.recording",
    "SignalRecorder": "signalkit.recording",
    "after_commit": "signalkit.deferred",
    "as_task": "signalkit.deferred",
    "autodiscover": "signalkit.discovery",
    "muted_signals": "signalkit.muting",
    "record_signals": "signalkit.recording",
    "trace_signals": "signalkit.tracing",
}

__all__ = [
    "ALL",
    "AutodiscoveryError",
    "InsufficientStock",
    "SignalCall",
    "SignalRecorder",
    "__version__",
    "after_commit",
    "as_task",
    "autodiscover",
    "muted_signals",
    "record_signals",
    "trace_signals",
]

if TYPE_CHECKING:
    from signalkit.deferred import after_commit, as_task
    from signalkit.discovery import AutodiscoveryError, autodiscover
    from signalkit.mixins.stock import InsufficientStock
    from signalkit.muting import ALL, muted_signals
    from signalkit.recording import SignalCall, SignalRecorder, record_signals
    from signalkit.tracing import trace_signals


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
